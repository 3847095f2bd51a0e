using AuthPatterns.ApiKeys;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Tests.ApiKeys;

/// <summary>
/// The Argon2id memory floor observed on its own: one KiB under it is a startup error naming the option, the floor itself
/// starts (8 KiB per lane, the least Argon2 defines).
/// </summary>
public sealed class ApiKeyHashFloorTests
{
    private static async Task StartAsync(int memory, int parallelism)
    {
        await using var app = await TestHost.Create()
            .WithLayeredAuth(layered => layered.AddApiKeys(o =>
            {
                o.HashMemorySize = memory;
                o.HashIterations = 1;
                o.HashParallelism = parallelism;
            }))
            .StartAsync();
        await app.StopAsync();
    }

    [Theory]
    [InlineData(7, 1)]
    [InlineData(1, 1)]
    [InlineData(15, 2)]
    [InlineData(31, 4)]
    public async Task Mutant_Argon2id_memory_just_under_the_floor_fails_at_startup_naming_the_option(int memory, int parallelism)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(memory, parallelism));
        Assert.Contains($"LayeredAuth:ApiKeys:HashMemorySize must be between {8 * parallelism} and", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8, 1)]
    [InlineData(16, 2)]
    [InlineData(32, 4)]
    public async Task Argon2id_memory_exactly_at_the_floor_starts(int memory, int parallelism) =>
        await StartAsync(memory, parallelism);

    [Fact]
    public void Argon2id_memory_floor_is_checked_by_the_options_themselves()
    {
        var options = new ApiKeyAuthenticationOptions { HashMemorySize = 7, HashParallelism = 1 };
        var error = Assert.ThrowsAny<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal("HashMemorySize", error.ParamName);
    }
}
