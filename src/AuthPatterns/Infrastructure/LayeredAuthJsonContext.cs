using System.Text.Json;
using System.Text.Json.Serialization;
using AuthPatterns.ApiKeys;
using AuthPatterns.Posture;
using Microsoft.AspNetCore.Mvc;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// Source-generated JSON metadata for every body the library's endpoints read or write: the management endpoints'
/// requests and answers, their problem details with the values they put in them, and the posture report. Added to the application's
/// HTTP JSON options by <see cref="LayeredAuthJsonOptionsSetup"/>, so these bodies need no reflection: they work in a
/// trimmed or native AOT application whatever resolvers the application registered itself.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ApiKeyInfo))]
[JsonSerializable(typeof(ApiKeyInfo[]))]
[JsonSerializable(typeof(ApiKeyCreatedBody))]
[JsonSerializable(typeof(ApiKeyCreateBody))]
[JsonSerializable(typeof(ApiKeyRevokeBody))]
[JsonSerializable(typeof(ApiKeyRollBody))]
[JsonSerializable(typeof(ApiKeyScopesBody))]
[JsonSerializable(typeof(ApiKeyExpiryBody))]
[JsonSerializable(typeof(ApiKeyNetworksBody))]
[JsonSerializable(typeof(AuthPostureReport))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
internal sealed partial class LayeredAuthJsonContext : JsonSerializerContext;
