namespace AuthPatterns.IntegrationTests.MultiInstance;

/// <summary>
/// The servers and processes a test starts for itself, disposed in reverse order, each even when another fails: a
/// server of the test's own must never outlive it.
/// </summary>
internal sealed class OwnedResources
{
    private readonly List<IAsyncDisposable> _owned = [];

    public T Own<T>(T owned)
        where T : IAsyncDisposable
    {
        _owned.Add(owned);
        return owned;
    }

    /// <summary>Disposes everything owned, newest first; what failed is added to <paramref name="failures"/>.</summary>
    public async Task DisposeAllAsync(List<Exception> failures)
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            try
            {
                await _owned[i].DisposeAsync();
            }
            catch (Exception exception)
            {
                failures.Add(exception);
            }
        }

        _owned.Clear();
    }
}
