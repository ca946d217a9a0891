using OpenQA.Selenium;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Privacy.Api.Tests.Platform;

/// <summary>Swagger UI as ops use it, in a real headless Chromium: authorize with a key, run the Art 30 export, read the JSON.</summary>
public sealed class SwaggerBrowserTests(BrowsablePrivacyApiFactory factory, ITestOutputHelper output)
    : IClassFixture<BrowsablePrivacyApiFactory>, IDisposable
{
    private readonly BrowserSession _browser = new();

    public void Dispose() => _browser.Dispose();

    [Fact]
    public void AnOpsUserAuthorizesWithAKeyRunsTheArt30ExportAndSeesTheJson()
    {
        var page = _browser.Driver;
        page.Navigate().GoToUrl($"{factory.BaseUrl}/swagger/index.html");
        var registry = _browser.Until(d => d.FindElement(By.CssSelector(".opblock-tag[data-tag='Registry']")), "Swagger UI's feature groups");
        Assert.Equal(["Caller", "Registry", "Consent", "Banner"],
            page.FindElements(By.CssSelector(".opblock-tag")).Select(t => t.GetAttribute("data-tag") ?? "").Take(4).ToArray());

        // Authorize with the ops key.
        page.FindElement(By.CssSelector(".swagger-ui .auth-wrapper .authorize")).Click();
        var dialog = _browser.Until(d => d.FindElement(By.CssSelector(".modal-ux")), "the Authorize dialog");
        Assert.Contains(ApiKeyOptions.HeaderName, dialog.Text); // the API-key scheme, named by its header
        dialog.FindElement(By.CssSelector("input[type='text'], input[type='password']")).SendKeys(PrivacyApiFactory.Keys[Roles.Ops]);
        dialog.FindElement(By.CssSelector(".auth-btn-wrapper .authorize")).Click();
        _browser.Until(d => d.FindElement(By.CssSelector(".modal-ux .auth-btn-wrapper .btn-done")), "the key to be accepted").Click();
        _browser.Until(d => d.FindElements(By.CssSelector(".modal-ux")).Count == 0, "the dialog to close");
        output.WriteLine($"Screenshot: {_browser.Screenshot("swagger-authorized")}");

        // Open the Registry group and run the export.
        registry.Click();
        var export = _browser.Until(d => d.FindElement(By.CssSelector(".opblock-summary-path[data-path='/registry/record-of-processing']")),
            "the Registry group to list the Art 30 export");
        ((IJavaScriptExecutor)page).ExecuteScript("arguments[0].scrollIntoView({block: 'center'});", export);
        export.Click();
        var operation = _browser.Until(d => d.FindElement(By.CssSelector(".opblock.is-open")), "the operation to open");
        Assert.Contains("Art 30", operation.Text);
        if (operation.FindElements(By.CssSelector(".execute")).Count == 0)
        {
            operation.FindElement(By.CssSelector(".try-out__btn")).Click(); // unless "Try it out" is on from the start (it is here)
        }
        _browser.Until(d => d.FindElement(By.CssSelector(".opblock.is-open .execute")), "the Execute button").Click();

        var status = _browser.Until(d => d.FindElement(By.CssSelector(".opblock.is-open .live-responses-table tr.response .response-col_status")),
            "the answer");
        Assert.Equal("200", status.Text.Trim());
        var body = _browser.Until(d => d.FindElement(By.CssSelector(".opblock.is-open .live-responses-table tr.response .response-col_description pre")),
            "the answer's body");
        Assert.Contains("\"controller\"", body.Text);
        Assert.Contains("Smultronsites AB", body.Text);
        Assert.Contains("\"processingActivities\"", body.Text);
        var curl = operation.FindElement(By.CssSelector(".curl-command")).Text;
        Assert.Contains(ApiKeyOptions.HeaderName, curl); // the key went with the request
        ((IJavaScriptExecutor)page).ExecuteScript("arguments[0].scrollIntoView({block: 'start'});", status);
        output.WriteLine($"Screenshot: {_browser.Screenshot("swagger-art30-export")}");
    }
}
