using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Privacy.Api.Tests.Infrastructure;

/// <summary>
/// The real service on a loopback port (Kestrel, not the in-memory test server), so a real browser can reach it. The banner's
/// demo page is on, with the tests' banner key.
/// </summary>
public class BrowsablePrivacyApiFactory : PrivacyApiFactory
{
    public BrowsablePrivacyApiFactory() => UseKestrel(options => options.Listen(IPAddress.Loopback, 0));

    /// <summary>Where the service listens, e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public string BaseUrl => Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Banner:DemoPage", "true");
        builder.UseSetting("Banner:DemoKey", Keys[Privacy.Api.Platform.Security.Roles.Banner]);
    }
}

/// <summary>
/// Headless Chromium from the system's packages (Debian's chromium and chromium-driver), driven by Selenium; nothing is
/// downloaded at run time. Screenshots go to artifacts/screenshots at the repository's root.
/// </summary>
public sealed class BrowserSession : IDisposable
{
    private static readonly string[] Browsers = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
    private static readonly string[] Drivers = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"];

    public BrowserSession()
    {
        var browser = Browsers.FirstOrDefault(File.Exists);
        var driver = Drivers.FirstOrDefault(File.Exists);
        if (browser is null || driver is null)
        {
            throw new InvalidOperationException(
                "The browser tests need Chromium and its driver from the system's packages: apt-get install chromium chromium-driver " +
                "(.ci/run installs them).");
        }

        Environment.SetEnvironmentVariable("SE_OFFLINE", "true"); // never let Selenium Manager look for downloads
        var options = new ChromeOptions { BinaryLocation = browser };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
            "--no-first-run", "--disable-extensions", "--disable-background-networking");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        Driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
        Driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(30);
    }

    /// <summary>
    /// Runs axe-core (Deque's accessibility engine, bundled in its NuGet package) on the elements <paramref name="selector"/>
    /// matches, against WCAG 2.1 A and AA, and returns each violation as "rule (impact): element".
    /// </summary>
    public IReadOnlyList<string> AccessibilityViolations(string selector)
    {
        Driver.ExecuteScript(new Deque.AxeCore.Commons.BundledAxeScriptProvider().GetScript());
        var result = (string?)Driver.ExecuteAsyncScript("""
            var done = arguments[arguments.length - 1];
            axe.run(arguments[0], { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
              .then(function (r) {
                done(JSON.stringify(r.violations.flatMap(function (v) {
                  return v.nodes.map(function (n) { return v.id + ' (' + v.impact + '): ' + n.target.join(' '); });
                })));
              })
              .catch(function (e) { done(JSON.stringify(['axe failed: ' + e])); });
            """, selector);
        return System.Text.Json.JsonSerializer.Deserialize<string[]>(result ?? "[\"axe returned nothing\"]")!;
    }

    public ChromeDriver Driver { get; }

    /// <summary>Where screenshots are saved: artifacts/screenshots under the repository (or $SCREENSHOT_DIR).</summary>
    public static string ScreenshotDirectory
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("SCREENSHOT_DIR");
            if (!string.IsNullOrEmpty(configured))
            {
                return configured;
            }

            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Privacy.slnx")))
            {
                directory = directory.Parent;
            }

            return Path.Combine(directory?.FullName ?? AppContext.BaseDirectory, "artifacts", "screenshots");
        }
    }

    /// <summary>Saves a PNG of the page as it is now and returns its path.</summary>
    public string Screenshot(string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, $"{name}.png");
        Driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    /// <summary>Waits (up to 15 s, polling) until <paramref name="condition"/> holds; fails with <paramref name="what"/> otherwise.</summary>
    public T Until<T>(Func<IWebDriver, T> condition, string what)
    {
        var wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(15)) { Message = what };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        return wait.Until(condition);
    }

    public object? Script(string javascript, params object[] arguments) => Driver.ExecuteScript(javascript, arguments);

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
    }
}
