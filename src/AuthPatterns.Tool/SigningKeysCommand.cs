using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AuthPatterns.Issuing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Tool;

/// <summary>
/// <c>authpatterns signing-keys list|rotate|retire &lt;kid&gt;</c>: the signing key ring of an application that issues
/// its own tokens, read with the application's Data Protection keys (<c>--protection-keys</c> and
/// <c>--application-name</c>, as given to <c>PersistKeysToFileSystem</c> and <c>SetApplicationName</c>), or the
/// development ring with <c>--development</c>. <c>rotate</c> and <c>retire</c> are the emergency rotation: the key is
/// withdrawn at once and every instance sharing the directory follows within its refresh interval (one minute).
/// </summary>
internal static class SigningKeysCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static readonly Option<string?> KeyDirectory = new("--directory")
    {
        Description = "The key directory (SigningKeyRingOptions.KeyDirectory). Default with --development: the shared development ring.",
    };

    private static readonly Option<string?> ProtectionKeys = new("--protection-keys")
    {
        Description = "The application's Data Protection key directory (its PersistKeysToFileSystem path).",
    };

    private static readonly Option<string?> ApplicationName = new("--application-name")
    {
        Description = "The application's Data Protection application name (its SetApplicationName value).",
    };

    private static readonly Option<bool> Development = new("--development")
    {
        Description = "Use the development key ring (the one 'authpatterns token mint' signs with).",
    };

    private static readonly Option<bool> AsJson = new("--json") { Description = "Print machine-readable JSON." };

    /// <summary>The clock of the command; tests replace it.</summary>
    internal static TimeProvider Time { get; set; } = TimeProvider.System;

    public static Command Create()
    {
        var command = new Command("signing-keys", "List the signing keys, or withdraw one now (emergency rotation).");
        command.Subcommands.Add(ListCommand());
        command.Subcommands.Add(RotateCommand());
        command.Subcommands.Add(RetireCommand());
        return command;
    }

    private static Command ListCommand()
    {
        var command = new Command("list", "List the keys with their schedules, and the files the ring ignores.")
        {
            KeyDirectory, ProtectionKeys, ApplicationName, Development, AsJson,
        };
        command.SetAction((parse, _) => RunAsync(parse, (_, _, inspection, output) => Task.FromResult(List(inspection, output, parse.GetValue(AsJson)))));
        return command;
    }

    private static Command RotateCommand()
    {
        var command = new Command("rotate", "Withdraw the current key now and sign with a fresh key.")
        {
            KeyDirectory, ProtectionKeys, ApplicationName, Development,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async (keys, _, _, output) =>
        {
            var before = CurrentKeyId(keys);
            var after = await keys.RotateNowAsync(cancellationToken);
            output.WriteLine($"Withdrew {before}; {after.KeyId} signs from now on. Instances sharing the directory follow within a minute.");
            return 0;
        }));
        return command;
    }

    private static Command RetireCommand()
    {
        var keyId = new Argument<string>("kid") { Description = "The key id to withdraw." };
        var command = new Command("retire", "Withdraw one key now: unpublished, never signs again.")
        {
            keyId, KeyDirectory, ProtectionKeys, ApplicationName, Development,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async (keys, directory, _, output) =>
        {
            var kid = parse.GetValue(keyId) ?? "";
            bool retired;
            try
            {
                retired = await keys.RetireAsync(kid, cancellationToken);
            }
            catch (ArgumentException)
            {
                Console.Error.WriteLine("The key id must be 1 to 64 characters of base64url (see 'signing-keys list').");
                return 2;
            }

            if (!retired)
            {
                Console.Error.WriteLine($"No signing key {kid} in {Printable(directory)}.");
                return 1;
            }

            output.WriteLine($"Withdrew {kid}; {CurrentKeyId(keys)} signs now. Instances sharing the directory follow within a minute.");
            return 0;
        }));
        return command;
    }

    // The ring is opened as an application opens it (AddSigningKeyRing, then SigningKeyManager), with the options read
    // from the command line.
    private static async Task<int> RunAsync(ParseResult parse, Func<SigningKeyManager, string, SigningKeyInspection, TextWriter, Task<int>> work)
    {
        var options = new SigningKeyRingOptions();
        var directory = parse.GetValue(KeyDirectory);
        if (parse.GetValue(Development))
        {
            DevelopmentSigningKeys.Configure(options, directory);
        }
        else
        {
            var protectionKeys = parse.GetValue(ProtectionKeys);
            var applicationName = parse.GetValue(ApplicationName);
            if (string.IsNullOrEmpty(directory) || string.IsNullOrEmpty(protectionKeys) || string.IsNullOrEmpty(applicationName))
            {
                Console.Error.WriteLine("Give --directory, --protection-keys and --application-name (the application's key ring and Data Protection settings), or --development.");
                return 2;
            }

            if (!Directory.Exists(protectionKeys))
            {
                Console.Error.WriteLine($"No Data Protection key directory at {Printable(Path.GetFullPath(protectionKeys))}.");
                return 1;
            }

            options.KeyDirectory = directory;
            options.DataProtectionProvider = DataProtectionProvider.Create(new DirectoryInfo(protectionKeys), b => b.SetApplicationName(applicationName));
        }

        if (!Directory.Exists(options.KeyDirectory))
        {
            Console.Error.WriteLine($"No signing key directory at {Printable(Path.GetFullPath(options.KeyDirectory!))}.");
            return 1;
        }

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(Time);
        services.AddSingleton(Options.Create(options));
        services.AddSigningKeyRing();
        await using var provider = services.BuildServiceProvider();
        var keys = provider.GetRequiredService<SigningKeyManager>();
        var inspection = keys.Inspect();

        // With the wrong Data Protection keys the tool would create keys no instance can read: refuse instead.
        if (inspection.Keys.Count == 0 && inspection.IgnoredFiles.Any(i => i.Problem == SigningKeyFileProblem.Undecryptable))
        {
            Console.Error.WriteLine("These Data Protection keys decrypt none of the key files: give the application's --protection-keys and --application-name.");
            return 1;
        }

        return await work(keys, options.KeyDirectory!, inspection, Console.Out);
    }

    private static string CurrentKeyId(SigningKeyManager keys) => keys.GetKeys().First(k => k.IsCurrent).KeyId;

    private static int List(SigningKeyInspection inspection, TextWriter output, bool json)
    {
        var now = Time.GetUtcNow();
        var rows = inspection.Keys.Select(k => new
        {
            kid = k.KeyId,
            state = k.IsCurrent ? "current" : now >= k.UnpublishAt ? "expired" : now < k.ActivatesAt ? "next" : "retired",
            created = k.CreatedAt,
            activates = k.ActivatesAt,
            retires = k.RetiresAt,
            unpublish = k.UnpublishAt,
        }).ToList();
        var ignored = inspection.IgnoredFiles.Select(i => new { file = Printable(i.File), problem = i.Description }).ToList();

        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new { keys = rows, ignored }, Json));
            return 0;
        }

        output.WriteLine($"{"KID",-18} {"STATE",-8} {"CREATED",-20} {"ACTIVATES",-20} {"RETIRES",-20} {"UNPUBLISH",-20}");
        foreach (var row in rows)
        {
            output.WriteLine($"{row.kid,-18} {row.state,-8} {Format(row.created),-20} {Format(row.activates),-20} {Format(row.retires),-20} {Format(row.unpublish),-20}");
        }

        foreach (var file in ignored)
        {
            output.WriteLine($"ignored: {file.file}: {file.problem}");
        }

        return 0;

        static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("u", CultureInfo.InvariantCulture);
    }

    // File names come from the directory, which others may write: control characters never reach the terminal raw.
    internal static string Printable(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029' || char.GetUnicodeCategory(c) == UnicodeCategory.Format)
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
