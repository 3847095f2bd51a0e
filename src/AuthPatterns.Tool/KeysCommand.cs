using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AuthPatterns.Tool;

/// <summary>
/// <c>authpatterns keys create|list|show|revoke|roll</c>: manages API keys in the store the application uses, given by
/// <c>--provider sqlite|postgres</c> and <c>--connection</c> (or <c>LayeredAuth__ApiKeys__Provider</c> and
/// <c>LayeredAuth__ApiKeys__ConnectionString</c>, the sample's settings). Says on stderr which store it opened; only
/// <c>create</c>, or another command given <c>--create-store</c>, creates a store (and its schema) that is missing.
/// Every stored value a person wrote (owner, tenant, name, reason, scopes) is printed through <see cref="TerminalText"/>.
/// <c>revoke</c> and <c>roll</c> given <c>--redis</c> (or <c>LayeredAuth__Redis__Configuration</c>) announce the change
/// to every instance at once; without it the tool says that instances learn of it within their cache lifetime. Exit
/// codes: 0 done, 1 refused, 2 bad usage, 3 stored but not broadcast.
/// </summary>
internal static class KeysCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static readonly Option<string?> Provider = new("--provider")
    {
        Description = "The store: sqlite or postgres (default: LayeredAuth:ApiKeys:Provider, else told by the connection string, else sqlite).",
    };

    private static readonly Option<string?> Connection = new("--connection")
    {
        Description = "The connection string of the store (default: the application's, see --project; else " + KeyStoreSettings.DefaultConnectionString + ").",
    };

    private static readonly Option<string?> Prefix = new("--prefix")
    {
        Description = "The key prefix (default: LayeredAuth:ApiKeys:Prefix, else " + ApiKeyFormat.DefaultPrefix + ").",
    };

    private static readonly Option<string?> Project = new("--project")
    {
        Description = "The application's project directory: read its appsettings.json, appsettings.{Environment}.json, user secrets (Development) and environment variables, as the app does.",
    };

    private static readonly Option<string?> AppSettings = new("--appsettings")
    {
        Description = "An application's appsettings file to read (with environment variables) instead of a project directory.",
    };

    private static readonly Option<string?> EnvironmentName = new("--environment")
    {
        Description = "The environment of the appsettings.{Environment}.json --project reads (default: ASPNETCORE_ENVIRONMENT, DOTNET_ENVIRONMENT, else Development).",
    };

    private static readonly Option<string?> ConnectionName = new("--connection-name")
    {
        Description = "The ConnectionStrings entry of the key store (default: LayeredAuth:ApiKeys:ConnectionStringName, else Keys).",
    };

    private static readonly Option<bool> AsJson = new("--json") { Description = "Print machine-readable JSON." };

    private static readonly Option<string?> Redis = RedisBroadcast.ConfigurationOption();

    private static readonly Option<string> RedisPrefix = RedisBroadcast.PrefixOption();

    private static readonly Option<bool> CreateStore = new("--create-store")
    {
        Description = "Create the store (a new SQLite file, or the database and schema) when it does not exist; without it a missing store is an error.",
    };

    /// <summary>The longest key lifetime or grace period the tool accepts: 100 years.</summary>
    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(36500);

    /// <summary>Lets tests make hashing cheap; the tool itself always uses the library's defaults.</summary>
    internal static Action<ApiKeyAuthenticationOptions>? ConfigureOptions { get; set; }

    public static Command Create()
    {
        var keys = new Command("keys", "Create, list, show, revoke and roll API keys.");
        keys.Subcommands.Add(CreateCommand());
        keys.Subcommands.Add(ListCommand());
        keys.Subcommands.Add(ShowCommand());
        keys.Subcommands.Add(RevokeCommand());
        keys.Subcommands.Add(RollCommand());
        return keys;
    }

    private static Command CreateCommand()
    {
        var owner = new Option<string>("--owner") { Description = "The owner (becomes the sub claim).", Required = true };
        var scopes = new Option<string[]>("--scope") { Description = "A scope to grant; repeat for more.", Required = true, AllowMultipleArgumentsPerToken = false };
        var expiresIn = new Option<string?>("--expires-in") { Description = "Lifetime, for example 90d, 12h, 30m; none for a key that never expires." };
        var tenant = new Option<string?>("--tenant") { Description = "The tenant." };
        var name = new Option<string?>("--name") { Description = "A display name." };
        var networks = new Option<string[]>("--allow-network") { Description = "A CIDR network the key may be used from; repeat for more." };
        var test = new Option<bool>("--test") { Description = "Create a test key (ak_test_...) instead of a live one." };

        var command = new Command("create", "Create a key. The key is printed once and not stored.")
        {
            Provider, Connection, Prefix, Project, AppSettings, EnvironmentName, ConnectionName, AsJson, CreateStore, owner, scopes, expiresIn, tenant, name, networks, test,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!TryParseDuration(parse, expiresIn.Name, parse.GetValue(expiresIn), allowZero: false, out var lifetime))
            {
                return 2;
            }

            return await RunAsync(parse, createsByDefault: true, async (manager, output) =>
            {
                var created = await manager.CreateAsync(
                    new ApiKeyCreateRequest
                    {
                        OwnerId = parse.GetRequiredValue(owner),
                        Scopes = parse.GetRequiredValue(scopes),
                        Lifetime = lifetime,
                        Tenant = parse.GetValue(tenant),
                        Name = parse.GetValue(name),
                        AllowedNetworks = parse.GetValue(networks) ?? [],
                        IsTest = parse.GetValue(test),
                    },
                    cancellationToken);

                if (parse.GetValue(AsJson))
                {
                    await output.WriteLineAsync(JsonSerializer.Serialize(
                        new { id = created.Info.Id, key = created.Key, scopes = created.Info.Scopes, expiresAt = created.Info.ExpiresAt, tenant = created.Info.Tenant, owner = created.Info.OwnerId },
                        Json));
                }
                else
                {
                    await output.WriteLineAsync($"Created key {created.Info.Id} for {TerminalText.Escape(created.Info.OwnerId)}. It is shown once and not stored:");
                    await output.WriteLineAsync();
                    await output.WriteLineAsync($"  {created.Key}");
                    await output.WriteLineAsync();
                    await WriteInfoAsync(output, created.Info);
                }

                return 0;
            });
        });
        return command;
    }

    private static Command ListCommand()
    {
        var owner = new Option<string?>("--owner") { Description = "Only this owner's keys." };
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant's keys." };
        var command = new Command("list", "List keys (never their secrets).") { Provider, Connection, Prefix, Project, AppSettings, EnvironmentName, ConnectionName, AsJson, CreateStore, owner, tenant };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, createsByDefault: false, async (manager, output) =>
        {
            var keys = await manager.ListAsync(parse.GetValue(owner), parse.GetValue(tenant), cancellationToken);
            if (parse.GetValue(AsJson))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(keys, Json));
                return 0;
            }

            await output.WriteLineAsync($"{"ID",-12}  {"OWNER",-20}  {"TENANT",-12}  {"STATE",-8}  {"EXPIRES",-20}  SCOPES");
            foreach (var key in keys)
            {
                await output.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{TerminalText.Escape(key.Id),-12}  {TerminalText.Escape(key.OwnerId),-20}  {TerminalText.Escape(key.Tenant ?? "-"),-12}  {State(key),-8}  {key.ExpiresAt?.ToString("u", CultureInfo.InvariantCulture) ?? "never",-20}  {Scopes(key)}"));
            }

            return 0;
        }));
        return command;
    }

    private static Command ShowCommand()
    {
        var id = new Argument<string>("id") { Description = "The key id." };
        var command = new Command("show", "Show one key (never its secret).") { Provider, Connection, Prefix, Project, AppSettings, EnvironmentName, ConnectionName, AsJson, CreateStore, id };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, createsByDefault: false, async (manager, output) =>
        {
            var key = await manager.GetAsync(parse.GetRequiredValue(id), cancellationToken);
            return await WriteOrNotFoundAsync(parse, output, key, parse.GetRequiredValue(id));
        }));
        return command;
    }

    private static Command RevokeCommand()
    {
        var id = new Argument<string>("id") { Description = "The key id." };
        var reason = new Option<string>("--reason") { Description = "Why, for the audit trail.", DefaultValueFactory = _ => "revoked with the authpatterns tool" };
        var command = new Command("revoke", "Revoke a key. With --redis every instance refuses it at once; without, instances drop it within their cache lifetime (60 s by default).")
        {
            Provider, Connection, Prefix, Project, AppSettings, EnvironmentName, ConnectionName, AsJson, CreateStore, Redis, RedisPrefix, id, reason,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, createsByDefault: false, async (manager, output) =>
        {
            var keyId = parse.GetRequiredValue(id);
            var found = await manager.RevokeAsync(keyId, parse.GetRequiredValue(reason), cancellationToken);
            var code = await WriteOrNotFoundAsync(parse, output, await manager.GetAsync(keyId, cancellationToken), keyId);
            if (found)
            {
                await WriteBroadcastAsync(parse, "revocation");
            }

            return code;
        }));
        return command;
    }

    private static Command RollCommand()
    {
        var id = new Argument<string>("id") { Description = "The key to replace." };
        var grace = new Option<string>("--grace") { Description = "How long the old key keeps working, for example 24h or 0m (never past its own expiry).", DefaultValueFactory = _ => "24h" };
        var command = new Command("roll", "Issue a new key with the same scopes and metadata; the old one keeps working for the grace period.")
        {
            Provider, Connection, Prefix, Project, AppSettings, EnvironmentName, ConnectionName, AsJson, CreateStore, Redis, RedisPrefix, id, grace,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!TryParseDuration(parse, grace.Name, parse.GetValue(grace), allowZero: true, out var gracePeriod))
            {
                return 2;
            }

            return await RunAsync(parse, createsByDefault: false, async (manager, output) =>
            {
                var keyId = parse.GetRequiredValue(id);
                CreatedApiKey? rolled;
                ApiKeyChangeNotBroadcastException? notBroadcast = null;
                try
                {
                    rolled = await manager.RollAsync(keyId, gracePeriod ?? TimeSpan.Zero, cancellationToken);
                }
                catch (ApiKeyChangeNotBroadcastException exception) when (exception.RolledKey is not null)
                {
                    // The new key is stored and works: it is printed, since it is shown nowhere else.
                    (rolled, notBroadcast) = (exception.RolledKey, exception);
                }

                if (rolled is null)
                {
                    return await WriteOrNotFoundAsync(parse, output, null, keyId);
                }

                var old = await manager.GetAsync(keyId, cancellationToken);
                if (parse.GetValue(AsJson))
                {
                    await output.WriteLineAsync(JsonSerializer.Serialize(
                        new { id = rolled.Info.Id, key = rolled.Key, scopes = rolled.Info.Scopes, expiresAt = rolled.Info.ExpiresAt, rolledFromId = keyId, previousExpiresAt = old?.ExpiresAt },
                        Json));
                }
                else
                {
                    await output.WriteLineAsync($"Rolled {TerminalText.Escape(keyId)} to {rolled.Info.Id}; {TerminalText.Escape(keyId)} works until {old?.ExpiresAt:u}. The new key is shown once:");
                    await output.WriteLineAsync();
                    await output.WriteLineAsync($"  {rolled.Key}");
                }

                if (notBroadcast is not null)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync(TerminalText.Escape(notBroadcast.Message));
                    return 3;
                }

                await WriteBroadcastAsync(parse, "shortened grace of the old key");
                return 0;
            });
        });
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, bool createsByDefault, Func<ApiKeyManager, TextWriter, Task<int>> work)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        ApplicationConfiguration configuration;
        KeyStoreLocation store;
        bool mayCreateStore;
        try
        {
            configuration = ApplicationConfiguration.Load(parse.GetValue(Project), parse.GetValue(AppSettings), parse.GetValue(EnvironmentName));
            var settings = KeyStoreSettings.Resolve(configuration, parse.GetValue(Provider), parse.GetValue(Connection), parse.GetValue(ConnectionName));

            // An application's store is created by the application (its migrations or its own start): the tool writes
            // into it, and makes one only when told to.
            mayCreateStore = parse.GetValue(CreateStore) || (createsByDefault && !configuration.IsApplication);
            store = KeyStoreLocation.Resolve(settings, mayCreateStore, configuration.Directory);
        }
        catch (InvalidOperationException exception)
        {
            await error.WriteLineAsync(exception.Message);
            return 2;
        }

        var description = TerminalText.Escape(store.Description);
        if (store.MissingFile is not null && !mayCreateStore)
        {
            await error.WriteLineAsync(configuration.IsApplication
                ? $"No key store at {TerminalText.Escape(store.MissingFile)}{TerminalText.Escape(store.Origin)}: the file does not exist. "
                    + "The application creates it (run it, or apply its migrations with dotnet ef database update); or pass --create-store to create an empty store there."
                : $"No key store at {TerminalText.Escape(store.MissingFile)}: the file does not exist (a relative path is relative to the current directory). "
                    + "Check --connection, or pass --create-store to create an empty store there.");
            return 2;
        }

        // Only the commands that change a key (revoke, roll) announce it.
        var announces = parse.CommandResult.Command.Options.Contains(Redis);
        var redis = announces ? RedisBroadcast.ValueOf(parse, Redis) : null;
        var redisPrefix = announces ? parse.GetRequiredValue(RedisPrefix) : RedisBroadcast.DefaultPrefix;
        if (redis is not null && RedisBroadcast.Check(redis, redisPrefix) is { } invalid)
        {
            await error.WriteLineAsync(invalid);
            return 2;
        }

        await using var services = BuildServices(store.Provider, store.ConnectionString, parse.GetValue(Prefix), redis, redisPrefix, configuration.Root.GetSection("LayeredAuth"));
        await using (var scope = services.CreateAsyncScope())
        {
            var context = scope.ServiceProvider.GetRequiredService<ApiKeyDbContext>();
            var created = false;
            bool ready;
            try
            {
                if (mayCreateStore)
                {
                    created = await context.Database.EnsureApiKeyTablesCreatedAsync();
                }

                // The key table itself, not just any table: an application's database may hold its own tables and not
                // yet the key store's (its migrations not applied).
                var creator = context.Database.GetService<IRelationalDatabaseCreator>();
                ready = await creator.ExistsAsync() && await HoldsKeyStoreAsync(context);
            }
            catch (Exception exception) when (IsUnreachable(exception))
            {
                ready = false;
            }
            catch (InvalidOperationException exception)
            {
                await error.WriteLineAsync(TerminalText.Escape(exception.Message));
                return 2;
            }

            if (!ready)
            {
                await error.WriteLineAsync($"Cannot open {description}: it does not exist, cannot be reached or holds no key store. {(configuration.IsApplication ? "Run the application (or apply its migrations) first" : "Check --connection")}, or pass --create-store to create it.");
                return 2;
            }

            try
            {
                // Tables of an earlier shape are refused with the way to upgrade them, never written to.
                await context.Database.VerifyApiKeyTablesAsync();
            }
            catch (InvalidOperationException exception)
            {
                await error.WriteLineAsync(TerminalText.Escape(exception.Message));
                return 2;
            }

            await error.WriteLineAsync(created ? $"Created {description}." : $"Using {description}.");
        }

        try
        {
            return await work(services.GetRequiredService<ApiKeyManager>(), output);
        }
        catch (ApiKeyChangeNotBroadcastException exception)
        {
            await error.WriteLineAsync(TerminalText.Escape(exception.Message));
            return 3;
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or FormatException)
        {
            await error.WriteLineAsync(TerminalText.Escape(exception.Message));
            return 1;
        }
    }

    internal static ServiceProvider BuildServices(
        string provider,
        string connectionString,
        string? prefix = null,
        string? redis = null,
        string redisPrefix = RedisBroadcast.DefaultPrefix,
        IConfiguration? layeredAuth = null)
    {
        var normalized = provider.ToLowerInvariant();
        if (normalized is not ("sqlite" or "postgres" or "postgresql"))
        {
            throw new InvalidOperationException($"--provider must be sqlite or postgres; '{TerminalText.Escape(provider)}' is not supported.");
        }

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<ApiKeyDbContext>(options => _ = normalized == "sqlite"
            ? options.UseSqlite(connectionString)
            : options.UseNpgsql(connectionString));

        // The application's LayeredAuth section, bound as the app binds it (prefix, hash parameters, default lifetime),
        // so a key made here hashes and reads as one made there; command-line options win.
        var layered = (layeredAuth is null ? services.AddLayeredAuth() : services.AddLayeredAuth(layeredAuth)).AddApiKeys(options =>
        {
            options.UseEntityFrameworkCore<ApiKeyDbContext>();
            if (prefix is not null)
            {
                options.Prefix = prefix;
            }

            ConfigureOptions?.Invoke(options);
        });
        if (redis is not null)
        {
            layered.AddRedis(options =>
            {
                options.Configuration = redis;
                options.KeyPrefix = redisPrefix;

                // No request waits on the tool: it may wait for Redis as long as StackExchange.Redis does.
                options.OperationTimeout = TimeSpan.FromSeconds(5);
            });
        }

        return services.BuildServiceProvider();
    }

    private static async Task<bool> HoldsKeyStoreAsync(ApiKeyDbContext context)
    {
        try
        {
            _ = await context.Set<ApiKeyRecord>().AnyAsync();
            return true;
        }
        catch (Exception exception) when (IsUnreachable(exception))
        {
            return false;
        }
    }

    // A database error, or EF Core's execution strategy giving up on one (PostgreSQL wraps it in an InvalidOperationException).
    private static bool IsUnreachable(Exception exception) =>
        exception is DbException || (exception is InvalidOperationException && exception.InnerException is DbException);

    private static Task WriteBroadcastAsync(ParseResult parse, string what) =>
        parse.InvocationConfiguration.Error.WriteLineAsync(RedisBroadcast.ValueOf(parse, Redis) is null
            ? $"Not broadcast (no --redis): other instances apply the {what} when their cache entry expires, within LayeredAuth:ApiKeys:CacheLifetime (60 s by default). Pass --redis <configuration> to tell them now."
            : $"Broadcast on Redis: every instance sharing it applies the {what} now.");

    private static bool TryParseDuration(ParseResult parse, string name, string? value, bool allowZero, out TimeSpan? duration)
    {
        duration = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        if (DurationText.TryParse(value, MaxDuration, allowZero, out var parsed))
        {
            duration = parsed;
            return true;
        }

        parse.InvocationConfiguration.Error.WriteLine(
            $"{name} '{TerminalText.Escape(value)}' is not a valid duration: use for example 90d, 12h, 30m or 2w, {(allowZero ? "not negative" : "above zero")} and at most 36500 days.");
        return false;
    }

    private static async Task<int> WriteOrNotFoundAsync(ParseResult parse, TextWriter output, ApiKeyInfo? key, string keyId)
    {
        if (key is null)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"No key has the id '{TerminalText.Escape(keyId)}'.");
            return 1;
        }

        if (parse.GetValue(AsJson))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(key, Json));
        }
        else
        {
            await WriteInfoAsync(output, key);
        }

        return 0;
    }

    private static async Task WriteInfoAsync(TextWriter output, ApiKeyInfo key)
    {
        await output.WriteLineAsync($"id:        {TerminalText.Escape(key.Id)}{(key.IsTest ? " (test)" : "")}");
        await output.WriteLineAsync($"owner:     {TerminalText.Escape(key.OwnerId)}");
        await output.WriteLineAsync($"tenant:    {TerminalText.Escape(key.Tenant ?? "-")}");
        if (key.Name is not null)
        {
            await output.WriteLineAsync($"name:      {TerminalText.Escape(key.Name)}");
        }

        await output.WriteLineAsync($"scopes:    {Scopes(key)}");
        await output.WriteLineAsync($"state:     {State(key)}{(key.RevocationReason is null ? "" : $" ({TerminalText.Escape(key.RevocationReason)})")}");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"created:   {key.CreatedAt:u}"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"expires:   {key.ExpiresAt?.ToString("u", CultureInfo.InvariantCulture) ?? "never"}"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"last used: {key.LastUsedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "never"}{(key.LastUsedAddress is null ? "" : $" from {TerminalText.Escape(key.LastUsedAddress)}")}"));
        await output.WriteLineAsync($"networks:  {(key.AllowedNetworks.Count == 0 ? "any" : TerminalText.Escape(string.Join(' ', key.AllowedNetworks)))}");
        if (key.RolledFromId is not null)
        {
            await output.WriteLineAsync($"rolled from: {TerminalText.Escape(key.RolledFromId)}");
        }
    }

    private static string Scopes(ApiKeyInfo key) => TerminalText.Escape(string.Join(' ', key.Scopes));

    private static string State(ApiKeyInfo key) =>
        key.RevokedAt is not null ? "revoked"
        : key.ExpiresAt is { } expires && expires <= TimeProvider.System.GetUtcNow() ? "expired"
        : "active";
}
