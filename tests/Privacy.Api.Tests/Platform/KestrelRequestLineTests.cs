using System.Net.Sockets;
using System.Text;
using Privacy.Api.Platform.Problems;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// What only the real server shows (the test server skips Kestrel, and its client throws on <c>%00</c> in a path). Kestrel
/// decodes the request line itself and refuses a path holding U+0000 with a bare 400 and a closed connection, before any
/// HttpContext exists: no middleware, exception handler or status-code page of the service runs, so that answer cannot be a
/// problem document. A U+0000 anywhere the service decodes itself (the query) gets the service's own problem document.
/// </summary>
public sealed class KestrelRequestLineTests(BrowsablePrivacyApiFactory factory) : IClassFixture<BrowsablePrivacyApiFactory>
{
    [Fact]
    public async Task ANulInThePathIsRefusedByKestrelBeforeTheServiceAndANulInTheQueryGetsAProblemDocument()
    {
        var path = await SendAsync("/registry/categories/a%00b");
        var query = await SendAsync("/registry/links?purpose=x%00y");

        Assert.StartsWith("HTTP/1.1 400 ", path.Head);
        Assert.Contains("Connection: close", path.Head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", path.Body); // Kestrel's own answer: the service never saw the request
        Assert.StartsWith("HTTP/1.1 400 ", query.Head);
        Assert.Contains("Content-Type: application/problem+json", query.Head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(ProblemTypes.InvalidCharacter.Uri, query.Body);
    }

    /// <summary>A GET of <paramref name="target"/> exactly as written (no client library re-encodes it); the head and body of the answer.</summary>
    private async Task<(string Head, string Body)> SendAsync(string target)
    {
        var address = new Uri(factory.BaseUrl);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        await using var stream = tcp.GetStream();
        var request = $"GET {target} HTTP/1.1\r\nHost: {address.Authority}\r\nX-Api-Key: {PrivacyApiFactory.Keys[Roles.Ops]}\r\n" +
                      "Accept: application/json\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync(); // the server closes the connection after its answer
        var split = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return split < 0 ? (answer, "") : (answer[..split], answer[(split + 4)..]);
    }
}
