using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AuthPatterns.Tool;

/// <summary>
/// <c>authpatterns keys create|list|show|revoke|roll</c>: manages API keys in the store the application uses, given by
/// <c>--provider sqlite|postgres</c> and <c>--connection</c> (or <c>LayeredAuth__ApiKeys__Provider</c> and
/// <c>LayeredAuth__ApiKeys__ConnectionString</c>, the sample's settings). Creates the schema when it is missing.
/// </summary>
internal static class KeysCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static readonly Option<string> Provider = new("--provider")
    {
        Description = "The store: sqlite or postgres.",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LayeredAuth__ApiKeys__Provider") ?? "sqlite",
    };

    private static readonly Option<string> Connection = new("--connection")
    {
        Description = "The connection string of the store.",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LayeredAuth__ApiKeys__ConnectionString") ?? "Data Source=authpatterns-keys.db",
    };

    private static readonly Option<string> Prefix = new("--prefix")
    {
        Description = "The key prefix the application is configured with (LayeredAuth:ApiKeys:Prefix).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LayeredAuth__ApiKeys__Prefix") ?? ApiKeyFormat.DefaultPrefix,
    };

    private static readonly Option<bool> AsJson = new("--json") { Description = "Print machine-readable JSON." };

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
            Provider, Connection, Prefix, AsJson, owner, scopes, expiresIn, tenant, name, networks, test,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async (manager, output) =>
        {
            var created = await manager.CreateAsync(
                new ApiKeyCreateRequest
                {
                    OwnerId = parse.GetRequiredValue(owner),
                    Scopes = parse.GetRequiredValue(scopes),
                    Lifetime = ParseDuration(parse.GetValue(expiresIn)),
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
                await output.WriteLineAsync($"Created key {created.Info.Id} for {created.Info.OwnerId}. It is shown once and not stored:");
                await output.WriteLineAsync();
                await output.WriteLineAsync($"  {created.Key}");
                await output.WriteLineAsync();
                await WriteInfoAsync(output, created.Info);
            }

            return 0;
        }));
        return command;
    }

    private static Command ListCommand()
    {
        var owner = new Option<string?>("--owner") { Description = "Only this owner's keys." };
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant's keys." };
        var command = new Command("list", "List keys (never their secrets).") { Provider, Connection, Prefix, AsJson, owner, tenant };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async (manager, output) =>
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
                    $"{key.Id,-12}  {key.OwnerId,-20}  {key.Tenant ?? "-",-12}  {State(key),-8}  {key.ExpiresAt?.ToString("u", CultureInfo.InvariantCulture) ?? "never",-20}  {string.Join(' ', key.Scopes)}"));
            }

            return 0;
        }));
        return command;
    }

    private static Command ShowCommand()
    {
        var id = new Argument<string>("id") { Description = "The key id." };
        var command = new Command("show", "Show one key (never its secret).") { Provider, Connection, Prefix, AsJson, id };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async (manager, output) =>
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
        var command = new Command("revoke", "Revoke a key. Instances without a revocation notifier drop it within their cache lifetime (60 s by default).")
        {
            Provider, Connection, Prefix, AsJson, id, reason,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async (manager, output) =>
        {
            var keyId = parse.GetRequiredValue(id);
            await manager.RevokeAsync(keyId, parse.GetRequiredValue(reason), cancellationToken);
            return await WriteOrNotFoundAsync(parse, output, await manager.GetAsync(keyId, cancellationToken), keyId);
        }));
        return command;
    }

    private static Command RollCommand()
    {
        var id = new Argument<string>("id") { Description = "The key to replace." };
        var grace = new Option<string>("--grace") { Description = "How long the old key keeps working, for example 24h or 0m (never past its own expiry).", DefaultValueFactory = _ => "24h" };
        var command = new Command("roll", "Issue a new key with the same scopes and metadata; the old one keeps working for the grace period.")
        {
            Provider, Connection, Prefix, AsJson, id, grace,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async (manager, output) =>
        {
            var keyId = parse.GetRequiredValue(id);
            var rolled = await manager.RollAsync(keyId, ParseDuration(parse.GetRequiredValue(grace)) ?? TimeSpan.Zero, cancellationToken);
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
                await output.WriteLineAsync($"Rolled {keyId} to {rolled.Info.Id}; {keyId} works until {old?.ExpiresAt:u}. The new key is shown once:");
                await output.WriteLineAsync();
                await output.WriteLineAsync($"  {rolled.Key}");
            }

            return 0;
        }));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, Func<ApiKeyManager, TextWriter, Task<int>> work)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        ServiceProvider services;
        try
        {
            services = BuildServices(parse.GetRequiredValue(Provider), parse.GetRequiredValue(Connection), parse.GetRequiredValue(Prefix));
        }
        catch (InvalidOperationException exception)
        {
            await error.WriteLineAsync(exception.Message);
            return 2;
        }

        await using (services)
        {
            await using (var scope = services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<ApiKeyDbContext>().Database.EnsureCreatedAsync();
            }

            try
            {
                return await work(services.GetRequiredService<ApiKeyManager>(), output);
            }
            catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or FormatException)
            {
                await error.WriteLineAsync(exception.Message);
                return 1;
            }
        }
    }

    internal static ServiceProvider BuildServices(string provider, string connectionString, string prefix = ApiKeyFormat.DefaultPrefix)
    {
        var normalized = provider.ToLowerInvariant();
        if (normalized is not ("sqlite" or "postgres" or "postgresql"))
        {
            throw new InvalidOperationException($"--provider must be sqlite or postgres; '{provider}' is not supported.");
        }

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<ApiKeyDbContext>(options => _ = normalized == "sqlite"
            ? options.UseSqlite(connectionString)
            : options.UseNpgsql(connectionString));
        services.AddLayeredAuth().AddApiKeys(options =>
        {
            options.UseEntityFrameworkCore<ApiKeyDbContext>();
            options.Prefix = prefix;
            ConfigureOptions?.Invoke(options);
        });
        return services.BuildServiceProvider();
    }

    internal static TimeSpan? ParseDuration(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        if (value.Length >= 2 && long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            var unit = value[^1] switch
            {
                'w' => TimeSpan.FromDays(7),
                'd' => TimeSpan.FromDays(1),
                'h' => TimeSpan.FromHours(1),
                'm' => TimeSpan.FromMinutes(1),
                's' => TimeSpan.FromSeconds(1),
                _ => TimeSpan.Zero,
            };
            if (unit != TimeSpan.Zero)
            {
                // Checked: a number too large for a duration is an error, never a wrapped-around small one.
                return amount <= TimeSpan.MaxValue.Ticks / unit.Ticks
                    ? TimeSpan.FromTicks(amount * unit.Ticks)
                    : throw new FormatException($"'{value}' is too long a duration.");
            }
        }

        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span)
            ? span
            : throw new FormatException($"'{value}' is not a duration; use for example 90d, 12h, 30m.");
    }

    private static async Task<int> WriteOrNotFoundAsync(ParseResult parse, TextWriter output, ApiKeyInfo? key, string keyId)
    {
        if (key is null)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"No key has the id '{keyId}'.");
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
        await output.WriteLineAsync($"id:        {key.Id}{(key.IsTest ? " (test)" : "")}");
        await output.WriteLineAsync($"owner:     {key.OwnerId}");
        await output.WriteLineAsync($"tenant:    {key.Tenant ?? "-"}");
        await output.WriteLineAsync($"scopes:    {string.Join(' ', key.Scopes)}");
        await output.WriteLineAsync($"state:     {State(key)}{(key.RevocationReason is null ? "" : $" ({key.RevocationReason})")}");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"created:   {key.CreatedAt:u}"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"expires:   {key.ExpiresAt?.ToString("u", CultureInfo.InvariantCulture) ?? "never"}"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"last used: {key.LastUsedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "never"}{(key.LastUsedAddress is null ? "" : $" from {key.LastUsedAddress}")}"));
        await output.WriteLineAsync($"networks:  {(key.AllowedNetworks.Count == 0 ? "any" : string.Join(' ', key.AllowedNetworks))}");
        if (key.RolledFromId is not null)
        {
            await output.WriteLineAsync($"rolled from: {key.RolledFromId}");
        }
    }

    private static string State(ApiKeyInfo key) =>
        key.RevokedAt is not null ? "revoked"
        : key.ExpiresAt is { } expires && expires <= TimeProvider.System.GetUtcNow() ? "expired"
        : "active";
}
