namespace AuthPatterns.ApiKeys;

/// <summary>
/// Thrown by <see cref="ApiKeyManager"/> when the key store did not answer (a database that is down, unreachable or
/// timing out), instead of the store's own exception: the caller can tell an outage from a refused change, and try
/// again when the store is back. The management endpoints answer it with 503 and <c>Retry-After</c>. The store's
/// exception is the <see cref="Exception.InnerException"/>; the message never repeats it.
/// </summary>
public sealed class ApiKeyStoreUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What could not be done.</param>
    /// <param name="innerException">What the store threw.</param>
    public ApiKeyStoreUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
