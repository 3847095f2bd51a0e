using Microsoft.AspNetCore.DataProtection;

namespace AuthPatterns.Jwt.Issuing;

/// <summary>
/// The development signing key ring shared by <c>authpatterns token mint</c> and applications running in Development:
/// a token minted by the tool validates in the app. Never use it outside development.
/// </summary>
public static class DevelopmentSigningKeys
{
    /// <summary>The <c>iss</c> of development tokens.</summary>
    public const string Issuer = "urn:authpatterns:development";

    /// <summary>The default directory of the development key ring, under the user's local application data folder.</summary>
    public static string DefaultKeyDirectory { get; } = Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
        "AuthPatterns",
        "development-signing-keys");

    /// <summary>
    /// Points a ring at the development key directory, with its own Data Protection keys kept beside it, so every
    /// process of this user reads the same keys.
    /// </summary>
    /// <param name="options">The ring's options.</param>
    /// <param name="keyDirectory">The directory; <see cref="DefaultKeyDirectory"/> when <see langword="null"/>.</param>
    public static void Configure(SigningKeyRingOptions options, string? keyDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var directory = keyDirectory ?? DefaultKeyDirectory;
        options.KeyDirectory = directory;
        options.DataProtectionProvider = DataProtectionProvider.Create(
            new DirectoryInfo(Path.Combine(directory, "protection-keys")),
            builder => builder.SetApplicationName("AuthPatterns.Development"));
    }
}
