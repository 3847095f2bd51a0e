namespace AuthPatterns.IntegrationTests;

/// <summary>
/// The services tests/run.sh starts on loopback. A missing variable fails the test that needs it, loudly: these tests
/// never fall back to a fake.
/// </summary>
internal static class TestEnvironment
{
    public static string PostgresConnectionString => Require("AUTHPATTERNS_POSTGRES");

    public static string RedisConfiguration => Require("AUTHPATTERNS_REDIS");

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the tests with tests/run.sh, which starts the service.");
}
