using System.Text.Json;

namespace AuthPatterns.EndToEndTests.OAuth2;

/// <summary>
/// samples/AuthServer keeps its signing key in a file only its owner can read: a restart publishes the same key, so
/// tokens issued before it stay valid, and a key file others can read stops the server at startup.
/// </summary>
public sealed class SigningKeyPersistenceTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("ap-authserver-keys-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task The_signing_key_survives_a_restart_and_is_readable_by_its_owner_only()
    {
        var address = new Uri($"http://localhost:{EndToEndEnvironment.FreePort()}/");
        string before;
        await using (var first = await StartAsync(address))
        {
            before = await KeyIdsAsync(address);
        }

        var keyFile = Path.Combine(_data, "keys", "signing-key.pem");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));

        await using (var second = await StartAsync(address))
        {
            Assert.Equal(before, await KeyIdsAsync(address));
        }
    }

    [Fact]
    public async Task A_signing_key_file_readable_by_others_stops_the_server_at_startup()
    {
        var keyFile = Path.Combine(_data, "keys", "signing-key.pem");
        Directory.CreateDirectory(Path.GetDirectoryName(keyFile)!);
        using (var rsa = System.Security.Cryptography.RSA.Create(2048))
        {
            await File.WriteAllTextAsync(keyFile, rsa.ExportPkcs8PrivateKeyPem());
        }

        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(new Uri($"http://localhost:{EndToEndEnvironment.FreePort()}/")));
        Assert.Contains($"The key file {keyFile} must be readable and writable by its owner only (chmod 600).", failure.Message, StringComparison.Ordinal);
    }

    private Task<SampleProcess> StartAsync(Uri address) => SampleProcess.StartAsync("AuthServer", address, new Dictionary<string, string>
    {
        ["AuthServer:Issuer"] = address.AbsoluteUri,
        ["AuthServer:DataDirectory"] = _data,
    }, "/.well-known/openid-configuration");

    private static async Task<string> KeyIdsAsync(Uri address)
    {
        using var client = new HttpClient();
        using var jwks = JsonDocument.Parse(await client.GetStringAsync(new Uri(address, "/.well-known/jwks")));
        var keys = jwks.RootElement.GetProperty("keys").EnumerateArray().ToArray();
        var key = Assert.Single(keys);
        Assert.Equal("RS256", key.GetProperty("alg").GetString());
        return key.GetProperty("kid").GetString()! + key.GetProperty("n").GetString();
    }
}
