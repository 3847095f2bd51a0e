using System.Xml;
using System.Xml.Linq;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace AuthPatterns.Tool;

/// <summary>
/// The application's configuration, read the way <c>WebApplication.CreateBuilder</c> reads it when the app runs from its
/// own directory: with <c>--project &lt;dir&gt;</c>, <c>appsettings.json</c>, <c>appsettings.{Environment}.json</c>,
/// the user secrets of the project's <c>UserSecretsId</c> (in Development only, as the app does), then environment
/// variables; with <c>--appsettings &lt;file&gt;</c>, that one file, then environment variables. Without either, only the
/// environment variables (the tool's behaviour before it read applications). Later sources win, as in the app.
/// </summary>
internal sealed class ApplicationConfiguration
{
    /// <summary>The environment <c>dotnet run</c> gives an app through its launch settings when none is set.</summary>
    public const string DefaultEnvironment = "Development";

    private ApplicationConfiguration(IConfigurationRoot root, string? directory, string? environment, string? secretsId)
    {
        Root = root;
        Directory = directory;
        Environment = environment;
        UserSecretsId = secretsId;
    }

    /// <summary>The merged configuration.</summary>
    public IConfigurationRoot Root { get; }

    /// <summary>
    /// The application's directory (the project directory, or the directory of the appsettings file), against which a
    /// relative SQLite path is resolved as it is when the app runs from there; <see langword="null"/> without an application.
    /// </summary>
    public string? Directory { get; }

    /// <summary>The environment whose appsettings file was read, or <see langword="null"/> when none applies.</summary>
    public string? Environment { get; }

    /// <summary>The project's user-secrets id when its secrets were read.</summary>
    public string? UserSecretsId { get; }

    /// <summary>Whether an application's files were read (<c>--project</c> or <c>--appsettings</c>).</summary>
    public bool IsApplication => Directory is not null;

    /// <summary>Reads the configuration; throws <see cref="InvalidOperationException"/> with a one-line message.</summary>
    public static ApplicationConfiguration Load(string? project, string? appsettings, string? environment)
    {
        if (project is not null && appsettings is not null)
        {
            throw new InvalidOperationException("--project and --appsettings cannot be combined: --project reads the project's appsettings.json and appsettings.{Environment}.json, --appsettings one file.");
        }

        var builder = new ConfigurationBuilder();
        string? directory = null;
        string? environmentName = null;
        string? secretsId = null;
        if (project is not null)
        {
            directory = Path.GetFullPath(project);
            if (!System.IO.Directory.Exists(directory))
            {
                throw new InvalidOperationException($"--project {TerminalText.Escape(directory)}: the directory does not exist.");
            }

            var settings = Path.Combine(directory, "appsettings.json");
            if (!File.Exists(settings))
            {
                throw new InvalidOperationException($"--project {TerminalText.Escape(directory)}: there is no appsettings.json in the directory. Point --project at the application's project directory, or use --appsettings <file>.");
            }

            // As WebApplication.CreateBuilder: ASPNETCORE_ENVIRONMENT wins over DOTNET_ENVIRONMENT; dotnet run's launch
            // settings make it Development when neither is set.
            environmentName = FirstNonEmpty(
                environment,
                System.Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT"),
                System.Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")) ?? DefaultEnvironment;
            AddJson(builder, settings, optional: false);
            AddJson(builder, Path.Combine(directory, $"appsettings.{environmentName}.json"), optional: true);
            if (string.Equals(environmentName, DefaultEnvironment, StringComparison.OrdinalIgnoreCase)
                && (secretsId = ReadUserSecretsId(directory)) is not null)
            {
                builder.AddUserSecrets(secretsId, reloadOnChange: false);
            }
        }
        else if (appsettings is not null)
        {
            var file = Path.GetFullPath(appsettings);
            if (!File.Exists(file))
            {
                throw new InvalidOperationException($"--appsettings {TerminalText.Escape(file)}: the file does not exist.");
            }

            directory = Path.GetDirectoryName(file)!;
            AddJson(builder, file, optional: false);
        }

        builder.AddEnvironmentVariables();
        try
        {
            return new ApplicationConfiguration(builder.Build(), directory, environmentName, secretsId);
        }
        catch (InvalidDataException exception)
        {
            // The JSON provider names the file and the line; the values are not repeated.
            throw new InvalidOperationException(TerminalText.Escape(exception.Message));
        }
        catch (FormatException exception)
        {
            throw new InvalidOperationException(TerminalText.Escape(exception.Message));
        }
    }

    /// <summary>Where the value of <paramref name="key"/> comes from, for a person: a file's path or an environment variable.</summary>
    public string? SourceOf(string key)
    {
        for (var i = Root.Providers.Count() - 1; i >= 0; i--)
        {
            var provider = Root.Providers.ElementAt(i);
            if (!provider.TryGet(key, out _))
            {
                continue;
            }

            return provider switch
            {
                FileConfigurationProvider file when file.Source.FileProvider?.GetFileInfo(file.Source.Path ?? "").PhysicalPath is { } path => path,
                EnvironmentVariablesConfigurationProvider => $"the environment variable {key.Replace(":", "__", StringComparison.Ordinal)}",
                _ => provider.ToString(),
            };
        }

        return null;
    }

    private static void AddJson(ConfigurationBuilder builder, string path, bool optional) =>
        builder.AddJsonFile(path, optional, reloadOnChange: false);

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    // The <UserSecretsId> of the project file, the id `dotnet user-secrets` stores the app's secrets under.
    private static string? ReadUserSecretsId(string directory)
    {
        foreach (var project in System.IO.Directory.EnumerateFiles(directory, "*.csproj"))
        {
            try
            {
                var id = XDocument.Load(project).Descendants().FirstOrDefault(e => e.Name.LocalName == "UserSecretsId")?.Value.Trim();
                if (!string.IsNullOrEmpty(id))
                {
                    return id;
                }
            }
            catch (XmlException)
            {
                // Not a project file the tool can read: no secrets from it.
            }
        }

        return null;
    }
}
