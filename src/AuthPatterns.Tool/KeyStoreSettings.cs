using System.Data.Common;
using Microsoft.Extensions.Configuration;

namespace AuthPatterns.Tool;

/// <summary>
/// Which store the <c>keys</c> commands use and why. Command-line options win; then the application's configuration:
/// <c>LayeredAuth:ApiKeys:ConnectionString</c> (the sample's setting), else <c>ConnectionStrings:&lt;name&gt;</c> with the
/// name from <c>LayeredAuth:ApiKeys:ConnectionStringName</c> (<c>Keys</c>, the template's, when unset); the provider from
/// <c>LayeredAuth:ApiKeys:Provider</c>, else told by the connection string's keywords (<c>Host</c> is PostgreSQL,
/// <c>Data Source</c> SQLite). With nothing configured, the tool's default SQLite file.
/// </summary>
internal sealed class KeyStoreSettings
{
    /// <summary>The section of the API-key options, which the app binds and the tool binds the same way.</summary>
    public const string Section = "LayeredAuth:ApiKeys";

    /// <summary>The connection string name used when <c>LayeredAuth:ApiKeys:ConnectionStringName</c> is not set.</summary>
    public const string DefaultConnectionStringName = "Keys";

    /// <summary>The store used when nothing names one: a SQLite file in the current directory.</summary>
    public const string DefaultConnectionString = "Data Source=authpatterns-keys.db";

    private static readonly string[] PostgresKeywords = ["host", "server", "username", "user id", "userid", "user name", "database", "port"];

    private static readonly string[] SqliteKeywords = ["data source", "datasource", "filename"];

    private KeyStoreSettings(string provider, string connectionString, string origin)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Origin = origin;
    }

    /// <summary>The provider name, as <c>--provider</c> takes it.</summary>
    public string Provider { get; }

    /// <summary>The connection string (may hold a password: never printed).</summary>
    public string ConnectionString { get; }

    /// <summary>Where the store was named, for a person, starting with a space: " (ConnectionStrings:Keys from /app/appsettings.json)"; empty when given on the command line.</summary>
    public string Origin { get; }

    /// <summary>Resolves the store; throws <see cref="InvalidOperationException"/> with a one-line message that names settings, never values.</summary>
    public static KeyStoreSettings Resolve(ApplicationConfiguration configuration, string? provider, string? connection, string? connectionName)
    {
        var root = configuration.Root;
        string connectionString;
        string origin;
        string? key = null;
        if (connection is not null)
        {
            connectionString = connection;
            origin = "";
        }
        else
        {
            var configuredName = connectionName ?? root[$"{Section}:ConnectionStringName"];
            var name = configuredName ?? DefaultConnectionStringName;
            if (root[$"{Section}:ConnectionString"] is not null)
            {
                key = $"{Section}:ConnectionString";
            }
            else if (root[$"ConnectionStrings:{name}"] is not null)
            {
                key = $"ConnectionStrings:{name}";
            }
            else if (configuredName is not null)
            {
                throw new InvalidOperationException(
                    $"ConnectionStrings:{TerminalText.Escape(name)} is not set{In(configuration)}: the key store's connection string is looked up by that name ({(connectionName is null ? $"{Section}:ConnectionStringName" : "--connection-name")}).");
            }
            else if (configuration.IsApplication && root.GetSection("ConnectionStrings").GetChildren().Select(c => c.Key).ToArray() is { Length: > 0 } names)
            {
                throw new InvalidOperationException(
                    $"No key-store connection string{In(configuration)}: ConnectionStrings has {TerminalText.Escape(string.Join(", ", names))} but not {DefaultConnectionStringName}. "
                    + $"Set {Section}:ConnectionStringName to the one the application's key store uses, or pass --connection-name.");
            }

            if (key is null)
            {
                connectionString = DefaultConnectionString;
                origin = configuration.IsApplication
                    ? " (the default: the application's configuration names no key store)"
                    : " (the default; --project <dir> or --appsettings <file> reads an application's configuration)";
            }
            else
            {
                connectionString = root[key]!;
                if (string.IsNullOrWhiteSpace(connectionString))
                {
                    throw new InvalidOperationException($"{key} is empty (set in {TerminalText.Escape(configuration.SourceOf(key) ?? "the configuration")}): the key store needs a connection string.");
                }

                origin = $" ({key} from {configuration.SourceOf(key)}{(configuration.Environment is null ? "" : $", environment {configuration.Environment}")})";
            }
        }

        provider ??= root[$"{Section}:Provider"];
        if (string.IsNullOrWhiteSpace(provider))
        {
            provider = key is null
                ? "sqlite"
                : InferProvider(connectionString) ?? throw new InvalidOperationException(
                    $"Cannot tell whether {key} names a SQLite or a PostgreSQL store: set {Section}:Provider, or pass --provider sqlite|postgres.");
        }

        return new KeyStoreSettings(provider, connectionString, origin);
    }

    private static string In(ApplicationConfiguration configuration) =>
        configuration.Directory is null ? " in the environment" : $" in the configuration of {TerminalText.Escape(configuration.Directory)}";

    // The keywords each provider's connection strings are written with; a string with both, or neither, is not guessed.
    private static string? InferProvider(string connectionString)
    {
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            return null;
        }

        var keywords = builder.Keys.Cast<string>().Select(k => k.ToLowerInvariant()).ToArray();
        var postgres = keywords.Any(PostgresKeywords.Contains);
        var sqlite = keywords.Any(SqliteKeywords.Contains);
        return postgres == sqlite ? null : postgres ? "postgres" : "sqlite";
    }
}
