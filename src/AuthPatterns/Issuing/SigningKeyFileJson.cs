using System.Text.Json;
using System.Text.Json.Serialization;

namespace AuthPatterns.Issuing;

/// <summary>The signing key ring's files, indented for people who look at them; source-generated, so no reflection.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(SigningKeyRing.SigningKeyFile))]
[JsonSerializable(typeof(SigningKeyRing.ProtectedSigningKey))]
[JsonSerializable(typeof(SigningKeyRing.WithdrawnMarker))]
internal sealed partial class SigningKeyFileJson : JsonSerializerContext;
