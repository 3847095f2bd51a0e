using System.Globalization;
using AuthPatterns.ApiKeys;
using AuthPatterns.ForwardAuth;
using AuthPatterns.Infrastructure;
using AuthPatterns.Jwt;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AuthPatterns.StackExchangeRedis;

/// <summary>
/// The one revocation channel every instance subscribes to. Messages are <c>k:{keyId}</c> (an API key was revoked or
/// changed), <c>j:{unix ms}:{jti}</c> (a token id was denied until then) and <c>f:{scheme}:{session}</c> (a forward-auth
/// session signed out; the session is the answer cache's HMAC of the cookie, in hex). When the subscription comes back after
/// Redis was unreachable, the instance drops its cached verifications and reloads the deny list: it cannot know what
/// it missed.
/// </summary>
internal sealed class RedisRevocationBus : IHostedService
{
    // Longer than any key id or jti this library writes; anyone who can publish on the channel writes the messages.
    private const int MaxMessageLength = 1024;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisJwtRevocationList _denyList;
    private readonly RedisForwardAuthSignOutNotifier _signOuts;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly List<Func<string, Task>> _keyHandlers = [];
    private readonly OutageLog _outage;

    public RedisRevocationBus(
        IConnectionMultiplexer redis,
        RedisJwtRevocationList denyList,
        RedisForwardAuthSignOutNotifier signOuts,
        IOptions<LayeredAuthRedisOptions> options,
        IServiceProvider services,
        TimeProvider time,
        ILogger<RedisRevocationBus> logger)
    {
        _outage = new OutageLog(time);
        _redis = redis;
        _denyList = denyList;
        _signOuts = signOuts;
        _services = services;
        _logger = logger;
        Channel = RedisChannel.Literal(options.Value.KeyPrefix + ":revocations");
    }

    public RedisChannel Channel { get; }

    public void OnKeyChanged(Func<string, Task> handler)
    {
        lock (_keyHandlers)
        {
            _keyHandlers.Add(handler);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _redis.ConnectionFailed += OnConnectionFailed;
        _redis.ConnectionRestored += OnConnectionRestored;
        var subscribing = _redis.GetSubscriber().SubscribeAsync(Channel, (channel, message) => _ = HandleObservedAsync(message));
        if (!_redis.IsConnected)
        {
            // Redis is down at startup: the application starts anyway; the subscription is made when Redis is back.
            _ = subscribing.ContinueWith(
                static (task, state) => ((ILogger)state!).SubscribeFailed(task.Exception!.GetBaseException()),
                _logger,
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted,
                TaskScheduler.Default);
            ConnectionLost("not connected at startup", exception: null);
            return;
        }

        try
        {
            await subscribing;
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            _logger.SubscribeFailed(exception);
        }

        await _denyList.LoadAsync();
        await _signOuts.LoadSecretAsync();
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _redis.ConnectionFailed -= OnConnectionFailed;
        _redis.ConnectionRestored -= OnConnectionRestored;
        return Task.CompletedTask;
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            ConnectionLost(e.FailureType.ToString(), e.Exception);
        }
    }

    // StackExchange.Redis reports every failed reconnection attempt (about one a second while Redis is down): the
    // outage is logged once with its exception, then summed up once a minute.
    private void ConnectionLost(string failureType, Exception? exception)
    {
        var step = _outage.Failed();
        switch (step.Kind)
        {
            case OutageStepKind.First:
                _logger.ConnectionLost(failureType, exception);
                break;
            case OutageStepKind.Summary:
                _logger.StillUnreachable(step.Duration.TotalSeconds, step.FailuresSinceLastLine);
                break;
            default:
                _logger.ReconnectionFailed(failureType);
                break;
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription)
        {
            return;
        }

        _services.GetService<ApiKeyVerifier>()?.EvictAll();
        _services.GetService<JwtSchemeRuntime>()?.Cache?.Clear();
        _services.GetService<ForwardAuthSessionVerifier>()?.Reset();
        _outage.Recovered(out var outage, out _);
        _logger.ConnectionRestored(outage.TotalSeconds);
        _ = _denyList.LoadAsync();
        _ = ReloadSignOutSecretAsync();
    }

    // The shared secret may only now be known (Redis was down at startup): the caches start again under it.
    private async Task ReloadSignOutSecretAsync()
    {
        await _signOuts.LoadSecretAsync();
        _services.GetService<ForwardAuthSessionVerifier>()?.Reset();
    }

    // The subscriber does not await its callback: an exception a handler throws is logged here, never lost.
    private async Task HandleObservedAsync(RedisValue message)
    {
        try
        {
            await HandleAsync(message);
        }
        catch (Exception exception)
        {
            _logger.ChangeNotApplied(exception);
        }
    }

    private async Task HandleAsync(RedisValue message)
    {
        var text = (string?)message;
        if (text is null || text.Length > MaxMessageLength)
        {
            _logger.MalformedMessage();
            return;
        }

        if (text is { Length: > 2 } && text.StartsWith("k:", StringComparison.Ordinal))
        {
            var keyId = text[2..];
            Func<string, Task>[] handlers;
            lock (_keyHandlers)
            {
                handlers = [.. _keyHandlers];
            }

            foreach (var handler in handlers)
            {
                await handler(keyId);
            }

            return;
        }

        if (text.StartsWith("f:", StringComparison.Ordinal)
            && text.Length > 3 + RedisForwardAuthSignOutNotifier.SessionLength
            && text[^(RedisForwardAuthSignOutNotifier.SessionLength + 1)] == ':'
            && RedisForwardAuthSignOutNotifier.TryParse(text.AsSpan(text.Length - RedisForwardAuthSignOutNotifier.SessionLength), out var session))
        {
            var scheme = text[2..^(RedisForwardAuthSignOutNotifier.SessionLength + 1)];
            _services.GetService<ForwardAuthSessionVerifier>()?.Forget(scheme, session);
            return;
        }

        if (text is { Length: > 2 } && text.StartsWith("j:", StringComparison.Ordinal))
        {
            var separator = text.IndexOf(':', 2);
            if (separator > 2 && separator < text.Length - 1
                && long.TryParse(text.AsSpan(2, separator - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var until))
            {
                _denyList.Remember(text[(separator + 1)..], DateTimeOffset.FromUnixTimeMilliseconds(Math.Min(until, DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())));
                return;
            }
        }

        _logger.MalformedMessage();
    }
}
