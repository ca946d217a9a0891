using System.Drawing;
using OpenQA.Selenium;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Privacy.Api.Tests.Requests;

/// <summary>
/// The HTML access report in a real headless Chromium, fetched as the website fetches it (its key and the signed-in customer
/// as headers): WCAG 2.1 A and AA with axe-core, on screen and as printed. Screenshots go to artifacts/screenshots.
/// </summary>
public sealed class AccessReportBrowserTests(BrowsablePrivacyApiFactory factory, ITestOutputHelper output)
    : IClassFixture<BrowsablePrivacyApiFactory>, IDisposable
{
    private readonly BrowserSession _browser = new();

    public void Dispose() => _browser.Dispose();

    [Theory]
    [InlineData("sv")]
    [InlineData("en")]
    public async Task TheHtmlReportMeetsWcag21AAAndPrintsWithoutNavigation(string language)
    {
        var (customer, id) = await AccessReportData.RichCustomerAsync(factory, language);
        var driver = _browser.Driver;
        driver.ExecuteCdpCommand("Network.enable", []);
        driver.ExecuteCdpCommand("Network.setExtraHTTPHeaders", new Dictionary<string, object?>
        {
            ["headers"] = new Dictionary<string, object>
            {
                [ApiKeyOptions.HeaderName] = PrivacyApiFactory.Keys[Roles.Frontend], [SignedInCustomer.HeaderName] = customer,
            },
        });

        driver.Navigate().GoToUrl($"{factory.BaseUrl}/requests/{id}/report?format=html");

        _browser.Until(d => d.FindElement(By.CssSelector($"html[lang='{language}'] h1")), "the report");
        Assert.Empty(_browser.AccessibilityViolations("html")); // contrast, headings, landmarks, table headers, lists, language
        var nav = driver.FindElement(By.CssSelector("nav"));
        Assert.True(nav.Displayed);
        FullPage($"access-report-{language}");

        driver.ExecuteCdpCommand("Emulation.setEmulatedMedia", new Dictionary<string, object?> { ["media"] = "print" });
        Assert.False(nav.Displayed); // printed: no navigation, no button
        Assert.False(driver.FindElement(By.CssSelector("button")).Displayed);
        Assert.Equal("rgba(0, 0, 0, 1)", driver.FindElement(By.CssSelector("h1")).GetCssValue("color"));
        Assert.Equal("rgba(255, 255, 255, 1)", driver.FindElement(By.CssSelector("thead th")).GetCssValue("background-color"));
        Assert.Empty(_browser.AccessibilityViolations("html"));
        FullPage($"access-report-{language}-print");
    }

    /// <summary>A screenshot of the whole page: the window grows to the document's height first.</summary>
    private void FullPage(string name)
    {
        var height = Convert.ToInt32(_browser.Script("return document.documentElement.scrollHeight;"), System.Globalization.CultureInfo.InvariantCulture);
        _browser.Driver.Manage().Window.Size = new Size(1280, Math.Min(height + 140, 16000));
        output.WriteLine($"Screenshot: {_browser.Screenshot(name)}");
    }
}
