using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Jwt.Issuing;

/// <summary>One RSA key of the ring and its schedule.</summary>
internal sealed record SigningKey(string KeyId, DateTimeOffset CreatedAt, DateTimeOffset ActivatesAt, DateTimeOffset RetiresAt, DateTimeOffset UnpublishAt, RSA Rsa)
{
    public RsaSecurityKey SecurityKey { get; } = new(Rsa) { KeyId = KeyId };

    public RSAParameters PublicParameters { get; } = Rsa.ExportParameters(includePrivateParameters: false);

    public RsaSecurityKey PublicSecurityKey => field ??= new RsaSecurityKey(PublicParameters) { KeyId = KeyId };
}

/// <summary>What the ring holds at one moment: the key that signs now and the keys the JWKS publishes.</summary>
internal sealed record SigningKeyRingSnapshot(SigningKey Current, IReadOnlyList<SigningKey> Published)
{
    public SigningKey? Find(string keyId) => Published.FirstOrDefault(k => string.Equals(k.KeyId, keyId, StringComparison.Ordinal));
}

/// <summary>
/// RSA signing keys with ids, persisted as one file per key (the private key protected with Data Protection) and
/// rotated on schedule: a successor is created <see cref="SigningKeyRingOptions.PublishAhead"/> before the current key
/// retires, so it is published before it signs; retired keys stay published for
/// <see cref="SigningKeyRingOptions.RetainAfterRetirement"/>, then their files are deleted.
/// </summary>
internal sealed class SigningKeyRing
{
    private const string Purpose = "AuthPatterns.SigningKeyRing.v1";
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan ReloadCooldown = TimeSpan.FromSeconds(10);

    private readonly SigningKeyRingOptions _options;
    private readonly IDataProtector _protector;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SigningKey> _loaded = new(StringComparer.Ordinal);
    private SigningKeyRingSnapshot? _snapshot;
    private DateTimeOffset _nextCheck;
    private DateTimeOffset _lastReload = DateTimeOffset.MinValue;

    public SigningKeyRing(IOptions<SigningKeyRingOptions> options, IDataProtectionProvider dataProtection, TimeProvider time, ILogger<SigningKeyRing> logger)
    {
        _options = options.Value;
        _options.Validate();
        _protector = (_options.DataProtectionProvider ?? dataProtection).CreateProtector(Purpose);
        _time = time;
        _logger = logger;
        KeyDirectory = _options.KeyDirectory
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "AuthPatterns", "signing-keys");
    }

    public string KeyDirectory { get; }

    public TimeSpan JwksMaxAge => _options.JwksMaxAge;

    public TimeSpan RetainAfterRetirement => _options.RetainAfterRetirement;

    /// <summary>
    /// Re-reads the key directory now (at most once per <see cref="ReloadCooldown"/>), for a key id another instance
    /// sharing the directory may just have created.
    /// </summary>
    public SigningKeyRingSnapshot Reload()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (now - _lastReload >= ReloadCooldown)
            {
                _lastReload = now;
                _nextCheck = now;
            }
        }

        return GetSnapshot();
    }

    public SigningKeyRingSnapshot GetSnapshot()
    {
        var now = _time.GetUtcNow();
        var snapshot = _snapshot;
        if (snapshot is not null && now < _nextCheck && now < snapshot.Current.RetiresAt)
        {
            return snapshot;
        }

        lock (_gate)
        {
            if (_snapshot is not null && now < _nextCheck && now < _snapshot.Current.RetiresAt)
            {
                return _snapshot;
            }

            _snapshot = Rotate(now);
            _nextCheck = now + CheckInterval;
            return _snapshot;
        }
    }

    private SigningKeyRingSnapshot Rotate(DateTimeOffset now)
    {
        Directory.CreateDirectory(KeyDirectory);
        LoadNewFiles();

        foreach (var key in _loaded.Values.Where(k => now >= k.UnpublishAt).ToList())
        {
            _loaded.Remove(key.KeyId);
            File.Delete(PathOf(key.KeyId));
            key.Rsa.Dispose();
            _logger.SigningKeyDeleted(key.KeyId);
        }

        var current = _loaded.Values
            .Where(k => k.ActivatesAt <= now && now < k.RetiresAt)
            .OrderByDescending(k => k.ActivatesAt)
            .FirstOrDefault()
            ?? Create(now, now);

        // The successor exists (and is published) PublishAhead before it starts signing.
        if (current.RetiresAt - now <= _options.PublishAhead && !_loaded.Values.Any(k => k.ActivatesAt >= current.RetiresAt))
        {
            Create(now, current.RetiresAt);
        }

        var published = _loaded.Values.Where(k => k.CreatedAt <= now && now < k.UnpublishAt).OrderBy(k => k.ActivatesAt).ToList();
        return new SigningKeyRingSnapshot(current, published);
    }

    private SigningKey Create(DateTimeOffset now, DateTimeOffset activatesAt)
    {
        var rsa = RSA.Create(_options.KeySize);
        var keyId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12));
        var retiresAt = activatesAt + _options.RotationInterval;
        var key = new SigningKey(keyId, now, activatesAt, retiresAt, retiresAt + _options.RetainAfterRetirement, rsa);

        var file = new SigningKeyFile
        {
            KeyId = keyId,
            CreatedAt = key.CreatedAt,
            ActivatesAt = key.ActivatesAt,
            RetiresAt = key.RetiresAt,
            UnpublishAt = key.UnpublishAt,
            ProtectedKey = Convert.ToBase64String(_protector.Protect(rsa.ExportPkcs8PrivateKey())),
        };

        var path = PathOf(keyId);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(file, SigningKeyFileJson.Options));
        File.Move(temporary, path, overwrite: true);
        _loaded[keyId] = key;
        _logger.SigningKeyCreated(keyId, activatesAt);
        return key;
    }

    private void LoadNewFiles()
    {
        foreach (var path in Directory.EnumerateFiles(KeyDirectory, "key-*.json"))
        {
            var keyId = Path.GetFileNameWithoutExtension(path)["key-".Length..];
            if (_loaded.ContainsKey(keyId))
            {
                continue;
            }

            try
            {
                var file = JsonSerializer.Deserialize<SigningKeyFile>(File.ReadAllText(path), SigningKeyFileJson.Options)
                    ?? throw new JsonException("empty key file");
                if (!string.Equals(file.KeyId, keyId, StringComparison.Ordinal))
                {
                    throw new JsonException("the key id does not match the file name");
                }

                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(_protector.Unprotect(Convert.FromBase64String(file.ProtectedKey)), out _);
                _loaded[keyId] = new SigningKey(keyId, file.CreatedAt, file.ActivatesAt, file.RetiresAt, file.UnpublishAt, rsa);
            }
            catch (Exception exception) when (exception is JsonException or CryptographicException or FormatException or IOException)
            {
                _logger.SigningKeyUnreadable(Path.GetFileName(path), exception);
            }
        }
    }

    private string PathOf(string keyId) => Path.Combine(KeyDirectory, $"key-{keyId}.json");

    internal sealed class SigningKeyFile
    {
        public string KeyId { get; set; } = "";

        public DateTimeOffset CreatedAt { get; set; }

        public DateTimeOffset ActivatesAt { get; set; }

        public DateTimeOffset RetiresAt { get; set; }

        public DateTimeOffset UnpublishAt { get; set; }

        public string ProtectedKey { get; set; } = "";
    }

    private static class SigningKeyFileJson
    {
        public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    }
}
