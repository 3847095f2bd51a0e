using Microsoft.AspNetCore.DataProtection;

namespace AuthPatterns.Issuing;

/// <summary>
/// The development signing key ring shared by <c>authpatterns token mint</c> and applications running in Development:
/// a token minted by the tool validates in the app. Never use it outside development: an application whose ring is
/// configured with it fails at startup outside the Development environment unless
/// <see cref="SigningKeyRingOptions.AllowDevelopmentKeysOutsideDevelopment"/> is set.
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
        options.UsesDevelopmentKeys = true;

        // Owner-only, like the key files: the Data Protection keys beside them decrypt every signing key.
        var protectionKeys = Path.Combine(directory, "protection-keys");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(protectionKeys);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.CreateDirectory(protectionKeys, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        options.DataProtectionProvider = DataProtectionProvider.Create(
            new DirectoryInfo(protectionKeys),
            builder => builder.SetApplicationName("AuthPatterns.Development"));
    }
}
