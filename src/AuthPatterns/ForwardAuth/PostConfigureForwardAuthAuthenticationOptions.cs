using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace AuthPatterns.ForwardAuth;

/// <summary>
/// Fills the names the configuration left unset from the preset, parses the trusted networks and hashes the
/// trusted-headers secret.
/// </summary>
internal sealed class PostConfigureForwardAuthAuthenticationOptions : IPostConfigureOptions<ForwardAuthAuthenticationOptions>
{
    public void PostConfigure(string? name, ForwardAuthAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        if (options.Preset == ForwardAuthPreset.OAuth2Proxy)
        {
            options.CookieName ??= ForwardAuthAuthenticationDefaults.OAuth2ProxyCookieName;
            options.UserHeader ??= "X-Auth-Request-User";
            options.GroupsHeader ??= "X-Auth-Request-Groups";
            options.EmailHeader ??= "X-Auth-Request-Email";
            options.NameHeader ??= "X-Auth-Request-Preferred-Username";
        }
        else
        {
            options.CookieName ??= ForwardAuthAuthenticationDefaults.AutheliaCookieName;
            options.UserHeader ??= "Remote-User";
            options.GroupsHeader ??= "Remote-Groups";
            options.EmailHeader ??= "Remote-Email";
            options.NameHeader ??= "Remote-Name";
        }

        var networks = new List<IPNetwork>(options.TrustedProxies.Count);
        var invalid = new List<string>();
        foreach (var entry in options.TrustedProxies)
        {
            var text = entry?.Trim() ?? string.Empty;
            if (IPNetwork.TryParse(text, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(text, out var address))
            {
                // A bare address trusts exactly that address.
                networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                invalid.Add($"'{entry}'");
            }
        }

        options.TrustedNetworks = networks;
        options.InvalidTrustedProxies = invalid;

        // Only the hash is compared, so the comparison takes the same time whatever the presented value's length.
        options.TrustedHeadersSecretHash = string.IsNullOrEmpty(options.TrustedHeadersSecret)
            ? null
            : SHA256.HashData(Encoding.UTF8.GetBytes(options.TrustedHeadersSecret));
    }
}
