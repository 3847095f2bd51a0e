using System.Globalization;
using System.Net;
using AuthPatterns.ForwardAuth;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AuthPatterns.Tests.Fuzz;

/// <summary>Forward-auth inputs read from the request: portal cookies (whole and split), the return URL, trusted proxy lists.</summary>
public sealed class ForwardAuthInputFuzzTests
{
    private const string CookieName = "_oauth2_proxy";

    private static readonly Gen<string> CookiePart = FuzzGen.Mix(
        Gen.Elements(
            CookieName + "=c2Vzc2lvbg",
            CookieName + "_0=cGFydDA",
            CookieName + "_1=cGFydDE",
            CookieName + "_15=eA",
            CookieName + "_x=1",
            CookieName + "=",
            "=" + CookieName,
            "other=1",
            "_oauth2_proxy_csrf=abc",
            "authelia_session=s"),
        validWeight: 5,
        mutatedWeight: 4,
        randomWeight: 1);

    private static readonly Gen<string> CookieHeader = Gen.Choose(0, 20)
        .SelectMany(n => CookiePart.ArrayOf(n))
        .SelectMany(parts => Gen.Elements(";", "; ", " ;", ";;").Select(sep => string.Join(sep, parts)));

    [Fact]
    public void Split_portal_cookies_are_read_as_sent_never_throw_and_are_bounded()
    {
        var input = Gen.Choose(1, 3).SelectMany(n => CookieHeader.ArrayOf(n));

        FuzzRun.Check(input, headers =>
        {
            var context = new DefaultHttpContext();
            context.Request.Headers.Cookie = new StringValues(headers);

            var expected = headers
                .SelectMany(h => h.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                .Where(IsPortalPiece)
                .ToArray();
            var read = ForwardAuthCredential.ReadPortalCookies(context.Request, CookieName);

            if (expected.Length == 0 || expected.Length > 16 || expected.Any(p => p.Any(c => c is < ' ' or > '~')))
            {
                Assert.Null(read);
            }
            else
            {
                Assert.Equal(string.Join("; ", expected), read);
            }
        });
    }

    private static bool IsPortalPiece(string part)
    {
        var equals = part.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || equals == part.Length - 1)
        {
            return false;
        }

        var name = part[..equals];
        return name == CookieName
            || (name.StartsWith(CookieName + "_", StringComparison.Ordinal)
                && name.Length > CookieName.Length + 1
                && name[(CookieName.Length + 1)..].All(char.IsAsciiDigit));
    }

    private static readonly string[] AllowedHosts = ["app.example.com", "*.apps.example.com"];

    private static readonly Gen<string> Host = FuzzGen.Mix(
        Gen.Elements("app.example.com", "APP.example.com", "app.example.com:8443", "a.apps.example.com", "evil.com", "app.example.com.evil.com", "evil.com#app.example.com", "evil.com\\@app.example.com", "[::1]", "127.0.0.1", "xn--bcher-kva.apps.example.com", "bücher.apps.example.com", "apps.example.com"),
        validWeight: 5,
        mutatedWeight: 4,
        randomWeight: 1);

    private static readonly Gen<string> PathText = FuzzGen.Mix(
        Gen.Elements("/app/dashboard", "//evil.com/x", "/\\evil.com", "/@evil.com", "/%2F%2Fevil.com", "/a/../../evil.com", "/%00", "/\u202e/moc.live", "/x?rd=https://evil.com"),
        validWeight: 4,
        mutatedWeight: 5,
        randomWeight: 1);

    private static readonly Gen<string> QueryText = FuzzGen.Mix(
        Gen.Elements("", "?a=1", "?rd=https://evil.com", "?next=//evil.com&x=%0d%0aSet-Cookie:x", "?@evil.com"),
        validWeight: 4,
        mutatedWeight: 5,
        randomWeight: 1);

    [Fact]
    public void Return_url_never_points_outside_the_requests_own_allowed_host()
    {
        var options = new ForwardAuthAuthenticationOptions { PortalUrl = new Uri("https://auth.example.com/?theme=dark") };
        foreach (var host in AllowedHosts)
        {
            options.AllowedHosts.Add(host);
        }

        var input =
            from scheme in Gen.Frequency((8, Gen.Elements("https", "http")), (2, FuzzGen.Mix(Gen.Constant("https"))))
            from host in Host
            from pathBase in Gen.Frequency((8, Gen.Constant(string.Empty)), (2, PathText))
            from path in PathText
            from query in QueryText
            select (scheme, host, pathBase, path, query);

        FuzzRun.Check(input, t =>
        {
            var context = new DefaultHttpContext();
            var request = context.Request;
            request.Scheme = t.scheme;
            // As a server sets it: the raw Host header, read back through HostString.FromUriComponent.
            request.Headers.Host = t.host;
            request.PathBase = new PathString(t.pathBase.StartsWith('/') ? t.pathBase : "/" + t.pathBase);
            request.Path = new PathString(t.path.StartsWith('/') ? t.path : "/" + t.path);
            request.QueryString = new QueryString(t.query.StartsWith('?') || t.query.Length == 0 ? t.query : "?" + t.query);

            if (!ForwardAuthReturnUrl.TryBuildLoginRedirect(request, options, out var location, out _))
            {
                Assert.Equal(string.Empty, location);
                return;
            }

            var redirect = new Uri(location);
            Assert.Equal("auth.example.com", redirect.Host);
            var rd = QueryHelpersRd(redirect.Query);
            Assert.True(Uri.TryCreate(rd, UriKind.Absolute, out var target), rd);
            Assert.True(target!.Scheme is "https" or "http", rd);
            Assert.Equal(string.Empty, target.UserInfo);
            Assert.True(ForwardAuthReturnUrl.IsAllowedHost(target.IdnHost, options.AllowedHosts), rd);
            var own = request.Host.Host;
            Assert.True(
                string.Equals(target.IdnHost, own, StringComparison.OrdinalIgnoreCase) || string.Equals(target.IdnHost, Idn(own), StringComparison.OrdinalIgnoreCase),
                $"{rd} is not on the request's host {own}");
        });
    }

    private static string QueryHelpersRd(string query)
    {
        var values = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query);
        Assert.Single(values["rd"]);
        return values["rd"].ToString();
    }

    private static string? Idn(string host)
    {
        try
        {
            return new IdnMapping().GetAscii(host);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static readonly Gen<string> CidrEntry = FuzzGen.Mix(
        Gen.Elements("10.0.0.0/8", "192.168.1.0/24", "172.16.0.1", "::1", "fd00::/8", "0.0.0.0/0", "::/0", "10.0.0.1/8", "1.2.3.4/33", " 10.1.0.0/16 ", "::ffff:10.0.0.0/104"),
        validWeight: 4,
        mutatedWeight: 5,
        randomWeight: 1);

    private static readonly Gen<IPAddress> Address = Gen.OneOf(
        Gen.Choose(0, 255).ArrayOf(4).Select(b => new IPAddress(b.Select(x => (byte)x).ToArray())),
        Gen.Choose(0, 255).ArrayOf(16).Select(b => new IPAddress(b.Select(x => (byte)x).ToArray())),
        Gen.Choose(0, 255).ArrayOf(4).Select(b => new IPAddress(b.Select(x => (byte)x).ToArray()).MapToIPv6()));

    [Fact]
    public void Cidr_lists_parse_without_throwing_and_never_widen()
    {
        var input = Gen.Choose(0, 6).SelectMany(n => CidrEntry.ArrayOf(n)).Zip(Address);

        FuzzRun.Check(input, t =>
        {
            var (entries, address) = t;

            // Trusted proxies: every entry is a network, a bare address, or reported as invalid (a startup error).
            var options = new ForwardAuthAuthenticationOptions();
            foreach (var entry in entries)
            {
                options.TrustedProxies.Add(entry);
            }

            new PostConfigureForwardAuthAuthenticationOptions().PostConfigure(null, options);
            Assert.Equal(entries.Length, options.TrustedNetworks.Count + options.InvalidTrustedProxies.Count);
            var readable = entries.Count(e => IPNetwork.TryParse(e.Trim(), out _) || IPAddress.TryParse(e.Trim(), out _));
            Assert.Equal(readable, options.TrustedNetworks.Count);
            var mapped = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            Assert.Equal(options.TrustedNetworks.Any(n => n.Contains(mapped)), ForwardAuthCredential.IsTrustedProxy(address, options));

            // Key networks: an unreadable entry allows nothing, and a list of only unreadable entries matches no address.
            var networks = AuthPatterns.ApiKeys.ApiKeyVerifier.ParseNetworks([.. entries]);
            var parsed = entries.Where(e => IPNetwork.TryParse(e, out _)).Select(IPNetwork.Parse).ToArray();
            if (entries.Length == 0)
            {
                Assert.Empty(networks);
            }
            else if (parsed.Length == 0)
            {
                Assert.NotEmpty(networks);
                Assert.DoesNotContain(networks, n => n.Contains(mapped));
            }
            else
            {
                Assert.Equal(parsed, networks);
            }
        });
    }
}
