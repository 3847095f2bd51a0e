using AuthPatterns.ApiKeys;

namespace AuthPatterns.Tests.ApiKeys;

/// <summary>A change stored but not broadcast: the exception carries a rolled key, and no text of it ever shows the key.</summary>
public sealed class ApiKeyChangeNotBroadcastExceptionTests
{
    [Fact]
    public void Change_not_broadcast_neither_the_message_nor_ToString_holds_the_rolled_key()
    {
        const string key = "ak_live_0123456789ABCDEFGHIJ_thesecretpartofthekeyzz";
        var info = new ApiKeyInfo { Id = "0123456789ABCDEFGHIJ", OwnerId = "owner", Scopes = ["orders:read"], AllowedNetworks = [] };
        var exception = new ApiKeyChangeNotBroadcastException(
            "old0123456789ABCDEF", TimeSpan.FromMinutes(5), new CreatedApiKey(key, info), new InvalidOperationException("Redis is down"));

        Assert.Same(key, exception.RolledKey!.Key);
        Assert.Contains(info.Id, exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("thesecretpart", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("thesecretpart", exception.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("thesecretpart", exception.RolledKey.ToString(), StringComparison.Ordinal);
        Assert.Empty(exception.Data);
    }
}
