using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using AuthPatterns.ApiKeys;

// The API-key scale curve's app, for tests/load/run.sh (LOAD_SCALE_KEYS=1): the layered API-key scheme with its
// in-memory store, seeded at startup with Scale:Keys real keys through ApiKeyManager (the plaintexts written once to
// Scale:KeysFile for the load generator), GET /ping anonymous and GET /api/ping behind the same policy as the sample's.
// Seeding 100,000 keys at the default Argon2id cost would take an hour on two cores, so the run configures cheaper
// Argon2id parameters (LayeredAuth:ApiKeys:HashMemorySize and HashIterations): the keys are still hashed, stored as PHC
// strings and verified with Argon2id on their first use; the default parameters' cost is measured by the cold-path
// benchmark. GET /load/stats reports, from the app's own AuthPatterns meter, the Argon2id verifications (by result) and
// the authentication outcomes so far, and the managed heap after a full collection.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddLayeredAuth(builder.Configuration.GetSection("LayeredAuth")).AddApiKeys();

var app = builder.Build();

var hashes = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
var outcomes = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
using var listener = new MeterListener();
listener.InstrumentPublished = (instrument, l) =>
{
    if (instrument.Meter.Name == "AuthPatterns"
        && instrument.Name is "authpatterns.api_keys.hash_duration" or "authpatterns.authentication.outcomes")
    {
        l.EnableMeasurementEvents(instrument);
    }
};
listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => Count(hashes, tags, "result"));
listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Count(outcomes, tags, "outcome", value));
listener.Start();

var count = builder.Configuration.GetValue("Scale:Keys", 1);
var file = builder.Configuration["Scale:KeysFile"] ?? throw new InvalidOperationException("Scale:KeysFile is required.");
var manager = app.Services.GetRequiredService<ApiKeyManager>();
var keys = new string[count];
await Parallel.ForAsync(0, count, async (i, cancellationToken) =>
{
    var created = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "load-" + i.ToString(CultureInfo.InvariantCulture), Scopes = ["orders:read"] }, cancellationToken);
    keys[i] = created.Key;
});
await File.WriteAllLinesAsync(file, keys);
keys = null;

app.UseAuthentication();
app.UseAuthorization();
app.MapGet("/ping", () => "pong").AllowAnonymous();
app.MapGet("/api/ping", () => "pong").RequireAuthorization();
app.MapGet("/load/stats", () =>
{
    var heap = GC.GetTotalMemory(forceFullCollection: true);
    return Results.Json(new
    {
        keys = count,
        hashes = new Dictionary<string, long>(hashes),
        outcomes = new Dictionary<string, long>(outcomes),
        heapBytes = heap,
        workingSetBytes = Environment.WorkingSet,
    });
}).AllowAnonymous();
app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"Seeded {count} keys into {file}."));
await app.RunAsync();

static void Count(ConcurrentDictionary<string, long> counts, ReadOnlySpan<KeyValuePair<string, object?>> tags, string name, long value = 1)
{
    foreach (var tag in tags)
    {
        if (tag.Key == name && tag.Value is string key)
        {
            counts.AddOrUpdate(key, value, (_, old) => old + value);
        }
    }
}
