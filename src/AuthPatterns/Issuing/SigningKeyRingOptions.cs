using Microsoft.AspNetCore.DataProtection;

namespace AuthPatterns.Issuing;

/// <summary>
/// The signing key ring of an application that issues its own tokens: where the keys live and how they rotate. Each key
/// is published in the JWKS <see cref="PublishAhead"/> before it signs, signs for <see cref="RotationInterval"/>, and
/// stays published <see cref="RetainAfterRetirement"/> after it stops signing.
/// </summary>
public sealed class SigningKeyRingOptions
{
    /// <summary>
    /// The directory holding the keys, each private key protected at rest with ASP.NET Core Data Protection. Defaults to
    /// <c>AuthPatterns/signing-keys</c> under the user's local application data folder.
    /// </summary>
    public string? KeyDirectory { get; set; }

    /// <summary>
    /// The Data Protection provider that protects the private keys at rest; <see langword="null"/> uses the application's
    /// (from <c>AddDataProtection()</c>). Every instance that shares <see cref="KeyDirectory"/> must share its Data Protection keys.
    /// </summary>
    public IDataProtectionProvider? DataProtectionProvider { get; set; }

    /// <summary>The RSA key size in bits; 2048 by default, at least 2048.</summary>
    public int KeySize { get; set; } = 2048;

    /// <summary>How long each key signs before its successor takes over; 30 days by default.</summary>
    public TimeSpan RotationInterval { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long a new key is published before it signs; 2 days by default. Must exceed the longest time a verifier caches
    /// the JWKS (24 hours at most for this library's verifiers), so every verifier knows the key before its first token.
    /// </summary>
    public TimeSpan PublishAhead { get; set; } = TimeSpan.FromDays(2);

    /// <summary>
    /// How long a retired key stays published; 2 days by default. Must exceed the longest token lifetime plus clock skew,
    /// so every token it signed expires before its key disappears.
    /// </summary>
    public TimeSpan RetainAfterRetirement { get; set; } = TimeSpan.FromDays(2);

    /// <summary>The <c>Cache-Control: max-age</c> of the JWKS endpoint; 10 minutes by default.</summary>
    public TimeSpan JwksMaxAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Lets a ring configured with <see cref="DevelopmentSigningKeys.Configure"/> start outside the Development
    /// environment; <see langword="false"/> by default, so that startup fails there. The development keys are shared with
    /// <c>authpatterns token mint</c>, so anyone with access to the development directory can mint tokens the
    /// application accepts.
    /// </summary>
    public bool AllowDevelopmentKeysOutsideDevelopment { get; set; }

    /// <summary>Set by <see cref="DevelopmentSigningKeys.Configure"/>.</summary>
    internal bool UsesDevelopmentKeys { get; set; }

    /// <summary>Checks the options and throws an <see cref="InvalidOperationException"/> naming the first wrong one.</summary>
    public void Validate()
    {
        if (KeySize is < 2048 or > 8192)
        {
            throw new InvalidOperationException("SigningKeyRingOptions.KeySize must be between 2048 and 8192.");
        }

        if (RotationInterval < TimeSpan.FromHours(1))
        {
            throw new InvalidOperationException("SigningKeyRingOptions.RotationInterval must be at least 1 hour.");
        }

        if (PublishAhead <= TimeSpan.Zero || PublishAhead >= RotationInterval)
        {
            throw new InvalidOperationException("SigningKeyRingOptions.PublishAhead must be positive and shorter than SigningKeyRingOptions.RotationInterval.");
        }

        if (RetainAfterRetirement <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("SigningKeyRingOptions.RetainAfterRetirement must be positive.");
        }

        if (JwksMaxAge < TimeSpan.Zero || JwksMaxAge >= PublishAhead)
        {
            throw new InvalidOperationException("SigningKeyRingOptions.JwksMaxAge must be shorter than SigningKeyRingOptions.PublishAhead.");
        }
    }
}
