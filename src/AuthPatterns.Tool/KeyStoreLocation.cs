using Microsoft.Data.Sqlite;
using Npgsql;

namespace AuthPatterns.Tool;

/// <summary>
/// Where the <c>keys</c> commands read and write: the store named by <c>--provider</c> and <c>--connection</c>, told
/// to the operator on stderr (the absolute file of a SQLite store, the host and database of a PostgreSQL one, never a
/// password). A wrong relative SQLite path must not silently become a new, empty store: only <c>keys create</c> and
/// commands given <c>--create-store</c> may create one.
/// </summary>
internal sealed class KeyStoreLocation
{
    private KeyStoreLocation(string provider, string connectionString, string description, string? missingFile)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Description = description;
        MissingFile = missingFile;
    }

    /// <summary><c>sqlite</c> or <c>postgres</c>.</summary>
    public string Provider { get; }

    /// <summary>The connection string to open, with SQLite's <c>Mode=ReadWrite</c> when the file may not be created.</summary>
    public string ConnectionString { get; }

    /// <summary>What the store is, for a person: "the SQLite key store /abs/path/keys.db".</summary>
    public string Description { get; }

    /// <summary>The absolute path of a SQLite file that does not exist yet, or <see langword="null"/>.</summary>
    public string? MissingFile { get; }

    /// <summary>Reads the provider and connection string; throws <see cref="InvalidOperationException"/> with a one-line message.</summary>
    public static KeyStoreLocation Resolve(string provider, string connectionString, bool mayCreate)
    {
        var normalized = provider.ToLowerInvariant();
        if (normalized is not ("sqlite" or "postgres" or "postgresql"))
        {
            throw new InvalidOperationException($"--provider must be sqlite or postgres; '{TerminalText.Escape(provider)}' is not supported.");
        }

        try
        {
            return normalized == "sqlite" ? ResolveSqlite(connectionString, mayCreate) : ResolvePostgres(connectionString);
        }
        catch (ArgumentException)
        {
            // The connection string parsers name the offending keyword; the string itself may hold a password.
            throw new InvalidOperationException($"--connection is not a valid {normalized} connection string.");
        }
    }

    private static KeyStoreLocation ResolveSqlite(string connectionString, bool mayCreate)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        var source = builder.DataSource;
        if (builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(source) || source == ":memory:")
        {
            return new KeyStoreLocation("sqlite", connectionString, "an in-memory SQLite key store", null);
        }

        // SQLite resolves a relative path against the current directory: say which file that is.
        var file = source.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ? source[5..].Split('?')[0] : source;
        var path = Path.GetFullPath(file);
        var exists = File.Exists(path);
        if (!mayCreate && builder.Mode == SqliteOpenMode.ReadWriteCreate)
        {
            builder.Mode = SqliteOpenMode.ReadWrite;
        }

        return new KeyStoreLocation("sqlite", builder.ConnectionString, $"the SQLite key store {path}", exists ? null : path);
    }

    private static KeyStoreLocation ResolvePostgres(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return new KeyStoreLocation("postgres", connectionString, $"the PostgreSQL key store '{builder.Database}' on {builder.Host}:{builder.Port}", null);
    }
}
