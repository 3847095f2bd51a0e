using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace AuthServer;

/// <summary>
/// Creates the seeded clients and the demo user, or brings them in line with the configuration (a changed redirect URI
/// or secret takes effect on the next start).
/// </summary>
internal static class SeedData
{
    public const string GroupClaim = "group";

    public static async Task ApplyAsync(IServiceProvider services, AuthServerSettings settings, IHostEnvironment environment)
    {
        var applications = services.GetRequiredService<IOpenIddictApplicationManager>();
        var clients = settings.Clients;

        await ClientCredentialsAsync(applications, clients.Partner, "Partner", nameof(SeededClients.Partner), environment);
        await ClientCredentialsAsync(applications, clients.Service, "Internal service", nameof(SeededClients.Service), environment);
        await AuthorizationCodeAsync(applications, clients.Web, "Layered API (browser login)", nameof(SeededClients.Web), confidential: true, environment);
        await AuthorizationCodeAsync(applications, clients.Spa, "Single-page app", nameof(SeededClients.Spa), confidential: false, environment);
        await DemoUserAsync(services.GetRequiredService<UserManager<IdentityUser>>(), settings.DemoUser);
    }

    private static async Task ClientCredentialsAsync(IOpenIddictApplicationManager applications, SeededClient client, string name, string option, IHostEnvironment environment)
    {
        if (string.IsNullOrEmpty(client.Secret))
        {
            Skip(option, environment);
            return;
        }

        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = client.ClientId,
            ClientSecret = client.Secret,
            ClientType = ClientTypes.Confidential,
            DisplayName = name,
            Permissions =
            {
                Permissions.Endpoints.Token,
                Permissions.Endpoints.Revocation,
                Permissions.Endpoints.Introspection,
                Permissions.GrantTypes.ClientCredentials,
            },
        };
        AddScopes(descriptor, client.Scopes);
        await SaveAsync(applications, descriptor);
    }

    private static async Task AuthorizationCodeAsync(IOpenIddictApplicationManager applications, SeededClient client, string name, string option, bool confidential, IHostEnvironment environment)
    {
        if ((confidential && string.IsNullOrEmpty(client.Secret)) || client.RedirectUris.Count == 0)
        {
            Skip(option, environment);
            return;
        }

        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = client.ClientId,
            ClientSecret = confidential ? client.Secret : null,
            ClientType = confidential ? ClientTypes.Confidential : ClientTypes.Public,
            ConsentType = ConsentTypes.Implicit,
            DisplayName = name,
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.Endpoints.Revocation,
                Permissions.Endpoints.EndSession,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.GrantTypes.RefreshToken,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile,
                Permissions.Scopes.Email,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        if (confidential)
        {
            descriptor.Permissions.Add(Permissions.Endpoints.Introspection);
        }

        AddScopes(descriptor, client.Scopes);
        foreach (var uri in client.RedirectUris)
        {
            descriptor.RedirectUris.Add(uri);
        }

        foreach (var uri in client.PostLogoutRedirectUris)
        {
            descriptor.PostLogoutRedirectUris.Add(uri);
        }

        await SaveAsync(applications, descriptor);
    }

    private static void AddScopes(OpenIddictApplicationDescriptor descriptor, IEnumerable<string> scopes)
    {
        foreach (var scope in scopes)
        {
            descriptor.Permissions.Add(Permissions.Prefixes.Scope + scope);
        }
    }

    private static async Task SaveAsync(IOpenIddictApplicationManager applications, OpenIddictApplicationDescriptor descriptor)
    {
        var existing = await applications.FindByClientIdAsync(descriptor.ClientId!);
        if (existing is null)
        {
            await applications.CreateAsync(descriptor);
        }
        else
        {
            await applications.UpdateAsync(existing, descriptor);
        }
    }

    private static void Skip(string option, IHostEnvironment environment)
    {
        if (!environment.IsDevelopment())
        {
            return;
        }

        Console.WriteLine($"AuthServer:Clients:{option} is not configured (secret or redirect URIs missing): that client is not seeded.");
    }

    private static async Task DemoUserAsync(UserManager<IdentityUser> users, SeededUser demo)
    {
        if (string.IsNullOrEmpty(demo.Password))
        {
            return;
        }

        var user = await users.FindByNameAsync(demo.UserName);
        if (user is null)
        {
            user = new IdentityUser(demo.UserName) { Email = demo.Email, EmailConfirmed = true };
            Check(await users.CreateAsync(user, demo.Password), "AuthServer:DemoUser");
        }
        else
        {
            Check(await users.RemovePasswordAsync(user), "AuthServer:DemoUser");
            Check(await users.AddPasswordAsync(user, demo.Password), "AuthServer:DemoUser:Password");
        }

        var claims = await users.GetClaimsAsync(user);
        Check(await users.RemoveClaimsAsync(user, claims), "AuthServer:DemoUser");
        Check(
            await users.AddClaimsAsync(user, [new Claim(Claims.Name, demo.Name), .. demo.Groups.Select(g => new Claim(GroupClaim, g))]),
            "AuthServer:DemoUser");
    }

    private static void Check(IdentityResult result, string option)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"{option} could not be seeded: {string.Join(" ", result.Errors.Select(e => e.Description))}");
        }
    }
}
