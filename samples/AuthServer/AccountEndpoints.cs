using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace AuthServer;

/// <summary>The sign-in and sign-out pages: plain HTML forms with an antiforgery token.</summary>
internal static class AccountEndpoints
{
    public static void MapAccountEndpoints(this WebApplication app)
    {
        app.MapGet("/", async (HttpContext context, UserManager<IdentityUser> users, IAntiforgery antiforgery) =>
        {
            var found = context.User.Identity?.IsAuthenticated == true ? await SignInSession.FindUserAsync(context.User, users) : null;
            if (found is not { } session)
            {
                return Html("AuthServer", $"""<p>Not signed in.</p><p><a href="{SignInSession.SignInPath}">Sign in</a></p>""");
            }

            var tokens = antiforgery.GetAndStoreTokens(context);
            return Html("AuthServer", $"""
                <p id="signed-in">Signed in as <strong>{Encode(SignInSession.DisplayName(session.User, session.Claims))}</strong> ({Encode(session.User.UserName)}).</p>
                <form method="post" action="{SignInSession.SignOutPath}">
                  <input type="hidden" name="{tokens.FormFieldName}" value="{Encode(tokens.RequestToken)}">
                  <button type="submit">Sign out</button>
                </form>
                """);
        });

        app.MapGet(SignInSession.SignInPath, (HttpContext context, AuthServerSettings settings, IAntiforgery antiforgery, string? returnUrl, string? rd) =>
            SignInPage(context, antiforgery, SignInSession.SafeReturnUrl(returnUrl ?? rd, settings), error: null));

        app.MapPost(SignInSession.SignInPath, async (
            HttpContext context,
            [FromForm(Name = "username")] string? userName,
            [FromForm(Name = "password")] string? password,
            [FromForm(Name = "returnUrl")] string? returnUrl,
            AuthServerSettings settings,
            SignInManager<IdentityUser> signIn,
            IAntiforgery antiforgery) =>
        {
            var target = SignInSession.SafeReturnUrl(returnUrl, settings);
            if (string.IsNullOrEmpty(userName) || string.IsNullOrEmpty(password))
            {
                return SignInPage(context, antiforgery, target, "Enter a user name and a password.");
            }

            var result = await signIn.PasswordSignInAsync(userName, password, isPersistent: false, lockoutOnFailure: true);
            if (result.Succeeded)
            {
                return Results.Redirect(target);
            }

            // One sentence for every failure: the page does not tell which user names exist.
            return SignInPage(context, antiforgery, target, result.IsLockedOut ? "Too many attempts; try again in a few minutes." : "The user name or password is wrong.");
        });

        app.MapPost(SignInSession.SignOutPath, async (SignInManager<IdentityUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return Results.Redirect("/");
        });
    }

    private static IResult SignInPage(HttpContext context, IAntiforgery antiforgery, string returnUrl, string? error)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var message = error is null ? "" : $"""<p class="error" role="alert">{Encode(error)}</p>""";
        return Html("Sign in", $"""
            {message}
            <form method="post" action="{SignInSession.SignInPath}">
              <input type="hidden" name="{tokens.FormFieldName}" value="{Encode(tokens.RequestToken)}">
              <input type="hidden" name="returnUrl" value="{Encode(returnUrl)}">
              <label>User name <input name="username" autocomplete="username" required autofocus></label>
              <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
              <button type="submit">Sign in</button>
            </form>
            """, error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    private static IResult Html(string title, string body, int statusCode = StatusCodes.Status200OK) => Results.Content($$"""
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>{{Encode(title)}}</title>
          <style>
            body { font-family: system-ui, sans-serif; max-width: 24rem; margin: 4rem auto; padding: 0 1rem; color: #1b1f24; }
            h1 { font-size: 1.4rem; }
            label { display: block; margin: 0 0 .8rem; }
            input { display: block; width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem; font: inherit; }
            button { padding: .5rem 1.2rem; font: inherit; background: #1f6feb; color: #fff; border: 0; border-radius: 4px; }
            .error { color: #b42318; }
          </style>
        </head>
        <body>
          <h1>{{Encode(title)}}</h1>
          {{body}}
        </body>
        </html>
        """, "text/html; charset=utf-8", statusCode: statusCode);

    private static string Encode(string? value) => HtmlEncoder.Default.Encode(value ?? "");
}
