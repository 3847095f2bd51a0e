using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace AuthServer;

/// <summary>
/// An RSA key kept in a PEM file readable by its owner only, created on first start: the signing key survives a restart,
/// so tokens issued before it stay valid and the JWKS the APIs cached stays right. A file readable by others is refused.
/// </summary>
internal static class PersistedRsaKey
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static RsaSecurityKey LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            Create(path);
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~OwnerOnly) != 0)
        {
            throw new InvalidOperationException($"The key file {path} must be readable and writable by its owner only (chmod 600).");
        }

        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(path));
        if (rsa.KeySize < 2048)
        {
            throw new InvalidOperationException($"The key in {path} has {rsa.KeySize} bits; at least 2048 are required.");
        }

        // A key id derived from the public key: the same after every restart, different for every key.
        var modulus = rsa.ExportParameters(includePrivateParameters: false).Modulus!;
        return new RsaSecurityKey(rsa) { KeyId = Base64UrlEncoder.Encode(SHA256.HashData(modulus)[..16]) };
    }

    private static void Create(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var rsa = RSA.Create(3072);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using var writer = new StreamWriter(path, options);
            writer.Write(rsa.ExportPkcs8PrivateKeyPem());
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another instance created it first: use that one.
        }
    }
}
