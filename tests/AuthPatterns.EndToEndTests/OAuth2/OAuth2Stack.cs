using Microsoft.Playwright;

namespace AuthPatterns.EndToEndTests.OAuth2;

/// <summary>
/// One machine's OAuth2 setup, started once for every test of the collection: samples/AuthServer, three instances of
/// samples/LayeredApi (browser login into the token cookie; trusted headers behind nginx and Caddy; verify mode asking
/// the authorization server itself), the two proxies, and headless Chromium. All on free loopback ports, browsers
/// addressing them as <c>localhost</c>.
/// </summary>
public sealed class OAuth2Stack : IAsyncLifetime
{
    public const string DemoUser = "demo";
    public const string DemoName = "Demo User";
    public const string DemoPassword = "e2e-demo-password";
    public const string PartnerSecret = "e2e-partner-secret";
    public const string ServiceSecret = "e2e-service-secret";
    public const string WebSecret = "e2e-web-secret";

    /// <summary>
    /// The API's proof-header setting: the secret the proxies add as <c>X-Forward-Auth-Proof</c> on the forward-auth
    /// routes only, and that trusted-headers mode requires besides the proxy's address. Set in this one place.
    /// </summary>
    public static readonly KeyValuePair<string, string>[] ProofHeaderSettings =
    [
        new("LayeredAuth:ForwardAuth:ProofHeaderName", "X-Forward-Auth-Proof"),
        new("LayeredAuth:ForwardAuth:TrustedHeadersSecret", ProofSecret),
    ];

    public const string ProofSecret = "e2e-proof-secret-4f1d8c2a9b7e6d5c";

    private readonly List<IAsyncDisposable> _started = [];

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("ap-authserver-").FullName;

    public SampleProcess AuthServer { get; private set; } = null!;

    /// <summary>The API with <c>/login</c> and <c>/logout</c>: the token cookie, and bearer tokens.</summary>
    public SampleProcess LoginApi { get; private set; } = null!;

    /// <summary>The API in trusted-headers mode, reached through the proxies.</summary>
    public SampleProcess HeadersApi { get; private set; } = null!;

    /// <summary>The API in verify mode, asking the authorization server's forward-auth endpoint.</summary>
    public SampleProcess VerifyApi { get; private set; } = null!;

    public ReverseProxy Nginx { get; private set; } = null!;

    public ReverseProxy Caddy { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    private IPlaywright? _playwright;

    public Uri Issuer => AuthServer.Address;

    public ReverseProxy Proxy(string kind) => kind == "nginx" ? Nginx : Caddy;

    public async Task InitializeAsync()
    {
        // Fail at once, with the install hint, when a program is missing.
        _ = EndToEndEnvironment.Chromium;
        _ = EndToEndEnvironment.Nginx;
        _ = EndToEndEnvironment.Caddy;

        var authServer = Localhost(EndToEndEnvironment.FreePort());
        var loginApi = Localhost(EndToEndEnvironment.FreePort());
        var headersApi = Localhost(EndToEndEnvironment.FreePort());
        var verifyApi = Localhost(EndToEndEnvironment.FreePort());

        AuthServer = Track(await SampleProcess.StartAsync("AuthServer", authServer, new Dictionary<string, string>
        {
            ["AuthServer:Issuer"] = authServer.AbsoluteUri,
            ["AuthServer:DataDirectory"] = DataDirectory,
            ["AuthServer:ApiBaseUrl"] = loginApi.AbsoluteUri,
            ["AuthServer:AllowedReturnHosts:0"] = "localhost",
            ["AuthServer:Clients:Partner:Secret"] = PartnerSecret,
            ["AuthServer:Clients:Service:Secret"] = ServiceSecret,
            ["AuthServer:Clients:Web:Secret"] = WebSecret,
            ["AuthServer:Clients:Web:RedirectUris:0"] = new Uri(loginApi, "/signin-oidc").AbsoluteUri,
            ["AuthServer:Clients:Web:PostLogoutRedirectUris:0"] = loginApi.AbsoluteUri,
            ["AuthServer:DemoUser:UserName"] = DemoUser,
            ["AuthServer:DemoUser:Password"] = DemoPassword,
            ["AuthServer:DemoUser:Name"] = DemoName,
            ["AuthServer:DemoUser:Groups:0"] = "staff",
        }, "/.well-known/openid-configuration"));

        // Each API instance with its own key store, in the temporary folder.
        var jwt = new Dictionary<string, string>
        {
            ["LayeredAuth:Jwt:Authority"] = authServer.AbsoluteUri,
            ["LayeredAuth:Jwt:Audience"] = "layered-api",
            ["LayeredAuth:Jwt:RequiredTokenType"] = "at+jwt",
        };

        var starting = new[]
        {
            SampleProcess.StartAsync("LayeredApi", loginApi, new Dictionary<string, string>(jwt)
            {
                ["LayeredAuth:ApiKeys:ConnectionString"] = KeyStore("login"),
                ["LayeredAuth:ApiKeys:UsageFlushInterval"] = "00:00:01",
                ["BrowserLogin:ClientId"] = "layered-web",
                ["BrowserLogin:ClientSecret"] = WebSecret,
                ["BrowserLogin:AppUrl"] = loginApi.AbsoluteUri,
            }, "/healthz"),
            SampleProcess.StartAsync("LayeredApi", headersApi, new Dictionary<string, string>([.. jwt, .. ProofHeaderSettings])
            {
                ["LayeredAuth:ApiKeys:ConnectionString"] = KeyStore("headers"),
                ["LayeredAuth:ForwardAuth:Mode"] = "TrustedHeaders",
                ["LayeredAuth:ForwardAuth:TrustedProxies:0"] = "127.0.0.1/32",
                ["LayeredAuth:ForwardAuth:GroupScopes:staff"] = "profile:read",
            }, "/healthz"),
            SampleProcess.StartAsync("LayeredApi", verifyApi, new Dictionary<string, string>(jwt)
            {
                ["LayeredAuth:ApiKeys:ConnectionString"] = KeyStore("verify"),
                ["LayeredAuth:ForwardAuth:VerifyUrl"] = new Uri(authServer, "/api/authz/forward-auth").AbsoluteUri,
                ["LayeredAuth:ForwardAuth:CookieName"] = "authserver_session",
                ["LayeredAuth:ForwardAuth:PortalUrl"] = new Uri(authServer, "/account/signin").AbsoluteUri,
                ["LayeredAuth:ForwardAuth:AllowedHosts:0"] = "localhost",
                ["LayeredAuth:ForwardAuth:GroupScopes:staff"] = "profile:read",
            }, "/healthz"),
        };
        try
        {
            await Task.WhenAll(starting);
        }
        finally
        {
            foreach (var start in starting.Where(s => s.IsCompletedSuccessfully))
            {
                Track(start.Result);
            }
        }

        (LoginApi, HeadersApi, VerifyApi) = (starting[0].Result, starting[1].Result, starting[2].Result);
        Nginx = Track(await ReverseProxy.StartAsync("nginx", headersApi, authServer, ProofSecret));
        Caddy = Track(await ReverseProxy.StartAsync("caddy", headersApi, authServer, ProofSecret));

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = EndToEndEnvironment.Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            await _started[i].DisposeAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp folder is the system's to clean.
        }
    }

    /// <summary>What every process said, for a failing test's message.</summary>
    public string Logs() => $"""
        --- AuthServer ---
        {AuthServer?.Output}
        --- login API ---
        {LoginApi?.Output}
        --- headers API ---
        {HeadersApi?.Output}
        --- verify API ---
        {VerifyApi?.Output}
        --- nginx ---
        {Nginx?.Output}
        --- caddy ---
        {Caddy?.Output}
        """;

    /// <summary>A new browser context (its own cookies), patient enough for a machine busy building.</summary>
    public async Task<IBrowserContext> NewContextAsync()
    {
        var context = await Browser.NewContextAsync();
        context.SetDefaultTimeout(90_000);
        context.SetDefaultNavigationTimeout(90_000);
        return context;
    }

    /// <summary>Signs in as the demo user on the authorization server's page, in a new browser context.</summary>
    public async Task<IBrowserContext> SignedInContextAsync()
    {
        var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(Issuer, "/account/signin").AbsoluteUri);
        await SignInAsync(page);
        await page.CloseAsync();
        return context;
    }

    public static async Task SignInAsync(IPage page)
    {
        // On a busy machine a submitted form has, rarely, never left the page. One more submission is allowed while the
        // page still shows the form; then the test fails with what the page said, so a refusal is never hidden.
        string? firstAttempt = null;
        for (var attempt = 0; ; attempt++)
        {
            await page.FillAsync("input[name=username]", DemoUser);
            await page.FillAsync("input[name=password]", DemoPassword);
            await page.ClickAsync("button[type=submit]");
            try
            {
                await page.WaitForURLAsync(
                    url => !url.Contains("/account/signin", StringComparison.Ordinal),
                    new PageWaitForURLOptions { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = 45_000 });
                return;
            }
            catch (TimeoutException exception)
            {
                // The wait can miss the load of a navigation that finished while it started (seen with the proxy's
                // redirect back to the app): a page that has left the form is the success it waited for. A refused
                // sign-in stays on the form, and fails below with what the page said.
                if (!page.Url.Contains("/account/signin", StringComparison.Ordinal))
                {
                    return;
                }

                var content = await page.ContentAsync();
                if (attempt > 0 || await page.Locator("input[name=password]").CountAsync() != 1)
                {
                    throw new TimeoutException($"Sign-in did not leave {page.Url}.\nFirst attempt:\n{firstAttempt}\nNow:\n{content}", exception);
                }

                firstAttempt = content;
            }
        }
    }

    private string KeyStore(string name) => $"Data Source={Path.Combine(DataDirectory, $"api-keys-{name}.db")}";

    private static Uri Localhost(int port) => new($"http://localhost:{port}/");

    private T Track<T>(T started)
        where T : IAsyncDisposable
    {
        _started.Add(started);
        return started;
    }
}

[CollectionDefinition(Name)]
public sealed class OAuth2Collection : ICollectionFixture<OAuth2Stack>
{
    public const string Name = "OAuth2 on one machine";
}
