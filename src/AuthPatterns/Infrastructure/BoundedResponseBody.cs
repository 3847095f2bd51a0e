namespace AuthPatterns.Infrastructure;

/// <summary>
/// Reads an HTTP response body up to a limit, for answers of servers the application does not control (a JWKS, a
/// token endpoint): a body larger than the limit is refused before it is buffered whole.
/// </summary>
internal static class BoundedResponseBody
{
    /// <summary>The body, or <see langword="null"/> when it is (or announces to be) larger than <paramref name="limit"/> bytes.</summary>
    /// <remarks>Send the request with <see cref="HttpCompletionOption.ResponseHeadersRead"/>, or the body is already buffered.</remarks>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpResponseMessage response, int limit, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > limit)
        {
            return null;
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }
}
