using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Issuing;

/// <summary>
/// Fails startup on the mistakes that make a signing key ring unsafe or unstable, and reads the ring once so its first
/// key exists (and problems are logged) before the first request:
/// the development keys outside Development; Data Protection keys that live only in memory (outside Development);
/// a warning when the application's Data Protection keys are not persisted to a chosen location; an error log naming
/// the fix when key files cannot be decrypted with the current Data Protection keys.
/// </summary>
internal sealed class SigningKeyRingStartupCheck(IServiceProvider services, IOptions<SigningKeyRingOptions> options, ILogger<SigningKeyRing> logger) : IHostedService
{
    internal const string DevelopmentKeysMessage =
        "The signing key ring uses the development keys (DevelopmentSigningKeys.Configure) outside the Development environment: " +
        "anyone who can run 'authpatterns token mint' against that directory can mint tokens this application accepts. " +
        "Configure SigningKeyRingOptions.KeyDirectory and Data Protection for production, or set " +
        "SigningKeyRingOptions.AllowDevelopmentKeysOutsideDevelopment to true.";

    internal const string EphemeralMessage =
        "The signing key ring's Data Protection keys live only in memory (EphemeralDataProtectionProvider): every restart makes " +
        "the key files undecryptable and signs with a key no verifier has seen. Persist and share the Data Protection keys " +
        "(services.AddDataProtection().PersistKeysToFileSystem(...).SetApplicationName(...)) or set SigningKeyRingOptions.DataProtectionProvider.";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var ring = options.Value;
        var development = services.GetService<IHostEnvironment>()?.IsDevelopment() == true;
        if (ring.UsesDevelopmentKeys && !development && !ring.AllowDevelopmentKeysOutsideDevelopment)
        {
            throw new InvalidOperationException(DevelopmentKeysMessage);
        }

        if (!development && !ring.UsesDevelopmentKeys)
        {
            var provider = ring.DataProtectionProvider ?? services.GetService<IDataProtectionProvider>();
            if (provider is EphemeralDataProtectionProvider)
            {
                throw new InvalidOperationException(EphemeralMessage);
            }

            if (ring.DataProtectionProvider is null && services.GetService<IOptions<KeyManagementOptions>>()?.Value.XmlRepository is null)
            {
                logger.SigningKeyDataProtectionNotPersisted();
            }
        }

        var signingKeys = services.GetRequiredService<SigningKeyRing>();
        signingKeys.GetSnapshot();
        var undecryptable = signingKeys.Issues.Count(i => i.Problem == SigningKeyFileProblem.Undecryptable);
        if (undecryptable > 0)
        {
            logger.SigningKeysUndecryptable(undecryptable, signingKeys.KeyDirectory);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
