using System.Buffers.Text;
using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using Npgsql;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Keys;
using Privacy.Api.Platform.Security;
using Privacy.Api.PrivacyCenter;
using Privacy.Api.Registry;
using Privacy.Api.Requests;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Privacy.Api.Consent;

/// <summary>
/// The confirmation and done pages: the look of the policy page and the banner (system font, the banner's green, visible focus,
/// AA contrast), no third-party assets, no script; a strict Content-Security-Policy allowing only the page's own style block.
/// </summary>
internal static class UnsubscribePage
{
    private const string Style = """
        body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b; background: #ffffff; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; }
        main { border: 2px solid #1f5135; border-radius: 8px; padding: 1.25rem; }
        h1 { font-size: 1.5rem; margin: 0 0 0.75rem; }
        p { margin: 0 0 0.75rem; }
        .note { font-size: 0.95rem; color: #3d3d3d; }
        button { font: inherit; font-weight: 600; min-height: 44px; padding: 0.5rem 1rem; border-radius: 6px; cursor: pointer; background: #1f5135; color: #ffffff; border: 2px solid #1f5135; }
        button:hover { background: #163b27; }
        button:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; box-shadow: 0 0 0 5px #1b1b1b; }
        """;

    /// <summary>
    /// Nothing loads but the page's own style; the form may post only back here; no framing, no base URL, no referrer (the link
    /// is the subscriber's key and must not travel in a Referer header).
    /// </summary>
    private static readonly string ContentSecurityPolicy =
        $"default-src 'none'; style-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Style)))}'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static ContentHttpResult Confirm(HttpContext http, string language, string purpose, string token)
    {
        var (title, question, button, note) = language == "sv"
            ? ("Avsluta prenumerationen", "Vill du inte längre få detta från oss? Tryck på knappen, så återkallar vi ditt samtycke och slutar skicka det.",
                "Avsluta prenumerationen", "Du kan när som helst prenumerera igen.")
            : ("Unsubscribe", "Don't want this from us any more? Press the button: we withdraw your consent and stop sending it.",
                "Unsubscribe", "You can subscribe again at any time.");
        // A relative action (the token, then the language) posts back to this very link, behind any proxy or path base.
        var action = $"{Uri.EscapeDataString(token)}?lang={language}";
        return Page(http, language, title, $"""
            <p><strong>{Encode(purpose)}</strong></p>
            <p>{Encode(question)}</p>
            <form method="post" action="{Encode(action)}">
            <input type="hidden" name="{UnsubscribeApi.OneClickField}" value="{UnsubscribeApi.OneClickValue}">
            <button type="submit">{Encode(button)}</button>
            </form>
            <p class="note">{Encode(note)}</p>
            """);
    }

    public static ContentHttpResult Done(HttpContext http, string language, string purpose)
    {
        var (title, text) = language == "sv"
            ? ("Du har avslutat prenumerationen", "Ditt samtycke är återkallat: vi skickar inte längre detta till dig.")
            : ("You have unsubscribed", "Your consent is withdrawn: we will no longer send you this.");
        return Page(http, language, title, $"<p><strong>{Encode(purpose)}</strong></p>\n<p role=\"status\">{Encode(text)}</p>");
    }

    /// <summary>The headers every unsubscribe answer carries: never cached, never referred from, never framed.</summary>
    public static void Protect(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
    }

    private static ContentHttpResult Page(HttpContext http, string language, string title, string body)
    {
        Protect(http.Response);
        var html = $"""
            <!doctype html>
            <html lang="{language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
            <title>{Encode(title)}</title><style>{Style}</style></head>
            <body><main><h1>{Encode(title)}</h1>
            {body}
            </main></body></html>
            """;
        return TypedResults.Content(html, "text/html; charset=utf-8");
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
