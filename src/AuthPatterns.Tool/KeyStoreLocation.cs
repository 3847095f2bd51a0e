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
    private KeyStoreLocation(string provider, string connectionString, string description, string? missingFile, string origin)
    {
        Origin = origin;
        Provider = provider;
        ConnectionString = connectionString;
        Description = description + origin;
        MissingFile = missingFile;
    }

    /// <summary><c>sqlite</c> or <c>postgres</c>.</summary>
    public string Provider { get; }

    /// <summary>The connection string to open, with SQLite's <c>Mode=ReadWrite</c> when the file may not be created.</summary>
    public string ConnectionString { get; }

    /// <summary>What the store is and where it was named, for a person: "the SQLite key store /abs/path/keys.db (...)".</summary>
    public string Description { get; }

    /// <summary>Where the store was named, starting with a space, or empty: see <see cref="KeyStoreSettings.Origin"/>.</summary>
    public string Origin { get; }

    /// <summary>The absolute path of a SQLite file that does not exist yet, or <see langword="null"/>.</summary>
    public string? MissingFile { get; }

    /// <summary>Reads the store the settings name; throws <see cref="InvalidOperationException"/> with a one-line message.</summary>
    /// <param name="settings">The provider, the connection string and where they were named.</param>
    /// <param name="mayCreate">Whether a missing SQLite file may be created.</param>
    /// <param name="directory">
    /// The application's directory, against which a relative SQLite path is resolved (where the app, run from its own
    /// directory as <c>dotnet run</c> does, finds it); <see langword="null"/> for the current directory.
    /// </param>
    public static KeyStoreLocation Resolve(KeyStoreSettings settings, bool mayCreate, string? directory = null)
    {
        var (provider, connectionString, origin) = (settings.Provider, settings.ConnectionString, settings.Origin);
        var normalized = provider.ToLowerInvariant();
        if (normalized is not ("sqlite" or "postgres" or "postgresql"))
        {
            throw new InvalidOperationException($"--provider must be sqlite or postgres; '{TerminalText.Escape(provider)}' is not supported.");
        }

        try
        {
            return normalized == "sqlite" ? ResolveSqlite(connectionString, mayCreate, directory, origin) : ResolvePostgres(connectionString, origin);
        }
        catch (ArgumentException)
        {
            // The connection string parsers name the offending keyword; the string itself may hold a password.
            throw new InvalidOperationException($"The key store's connection string (--connection, or the application's) is not a valid {normalized} connection string.");
        }
    }

    private static KeyStoreLocation ResolveSqlite(string connectionString, bool mayCreate, string? directory, string origin)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        var source = builder.DataSource;
        if (builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(source) || source == ":memory:")
        {
            return new KeyStoreLocation("sqlite", connectionString, "an in-memory SQLite key store", null, origin);
        }

        // SQLite resolves a relative path against the current directory: say which file that is. An application's
        // relative path is the one it opens from its own directory; the tool opens that file by its full path.
        var isUri = source.StartsWith("file:", StringComparison.OrdinalIgnoreCase);
        var file = isUri ? source[5..].Split('?')[0] : source;
        var path = directory is null ? Path.GetFullPath(file) : Path.GetFullPath(file, directory);
        if (!isUri && directory is not null)
        {
            builder.DataSource = path;
        }

        var exists = File.Exists(path);
        if (!mayCreate && builder.Mode == SqliteOpenMode.ReadWriteCreate)
        {
            builder.Mode = SqliteOpenMode.ReadWrite;
        }

        return new KeyStoreLocation("sqlite", builder.ConnectionString, $"the SQLite key store {path}", exists ? null : path, origin);
    }

    private static KeyStoreLocation ResolvePostgres(string connectionString, string origin)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return new KeyStoreLocation("postgres", connectionString, $"the PostgreSQL key store '{builder.Database}' on {builder.Host}:{builder.Port}", null, origin);
    }
}
