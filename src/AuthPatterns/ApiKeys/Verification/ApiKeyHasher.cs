using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

namespace AuthPatterns.ApiKeys;

/// <summary>Argon2id parameters: memory in KiB, iterations and lanes.</summary>
internal readonly record struct Argon2Parameters(int MemorySize, int Iterations, int Parallelism);

/// <summary>
/// Hashes and verifies keys with Argon2id (Konscious), stored as PHC strings so the parameters travel with the hash
/// and can be raised later. Always <c>GetBytesAsync</c>: <c>GetBytes</c> blocks a thread on a task.
/// </summary>
internal sealed class ApiKeyHasher
{
    private const int SaltLength = 16;
    private const int HashLength = 32;

    // Bounds on stored parameters, so a tampered record cannot make one verification allocate gigabytes.
    internal const int MaxMemorySize = 1024 * 1024;
    internal const int MaxIterations = 64;
    internal const int MaxParallelism = 16;

    private long _invocations;

    /// <summary>How many Argon2id computations ran (tests check that floods cannot burn more than the budget).</summary>
    public long Invocations => Interlocked.Read(ref _invocations);

    public async Task<string> HashAsync(string key, Argon2Parameters parameters)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltLength);
        var hash = await ComputeAsync(key, salt, parameters, HashLength);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"$argon2id$v=19$m={parameters.MemorySize},t={parameters.Iterations},p={parameters.Parallelism}${ToBase64(salt)}${ToBase64(hash)}");
    }

    /// <summary>Verifies a key against a PHC string; says whether the hash was made with other parameters than wanted.</summary>
    public async Task<(bool Valid, bool NeedsRehash)> VerifyAsync(string key, string phc, Argon2Parameters wanted)
    {
        if (!TryParse(phc, out var parameters, out var salt, out var expected))
        {
            return (false, false);
        }

        var actual = await ComputeAsync(key, salt, parameters, expected.Length);
        var valid = CryptographicOperations.FixedTimeEquals(actual, expected);
        return (valid, valid && parameters != wanted);
    }

    internal static bool TryParse(string phc, out Argon2Parameters parameters, out byte[] salt, out byte[] hash)
    {
        parameters = default;
        salt = hash = [];
        var parts = phc.Split('$');
        if (parts.Length != 6 || parts[0].Length != 0 || parts[1] != "argon2id" || parts[2] != "v=19")
        {
            return false;
        }

        int m = 0, t = 0, p = 0;
        foreach (var pair in parts[3].Split(','))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !int.TryParse(pair.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            switch (pair[..eq])
            {
                case "m": m = value; break;
                case "t": t = value; break;
                case "p": p = value; break;
                default: return false;
            }
        }

        if (m < 8 || m > MaxMemorySize || t < 1 || t > MaxIterations || p < 1 || p > MaxParallelism || m < 8 * p)
        {
            return false;
        }

        try
        {
            salt = FromBase64(parts[4]);
            hash = FromBase64(parts[5]);
        }
        catch (FormatException)
        {
            return false;
        }

        if (salt.Length < 8 || hash.Length < 16 || hash.Length > 64)
        {
            return false;
        }

        parameters = new Argon2Parameters(m, t, p);
        return true;
    }

    private async Task<byte[]> ComputeAsync(string key, byte[] salt, Argon2Parameters parameters, int length)
    {
        Interlocked.Increment(ref _invocations);
        var password = Encoding.ASCII.GetBytes(key);
        try
        {
            using var argon2 = new Argon2id(password)
            {
                Salt = salt,
                MemorySize = parameters.MemorySize,
                Iterations = parameters.Iterations,
                DegreeOfParallelism = parameters.Parallelism,
            };
            return await argon2.GetBytesAsync(length).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    // PHC strings use standard base64 without padding.
    private static string ToBase64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static byte[] FromBase64(string value) =>
        Convert.FromBase64String(value.PadRight(value.Length + ((4 - (value.Length % 4)) % 4), '='));
}
