using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Logging;

/// <summary>The log scanner finds each kind of personal data it is meant to, and not look-alikes that fill every log.</summary>
public sealed class PersonalDataScannerTests
{
    [Theory]
    [InlineData("Sending receipt to anna.svensson@example.se failed", "e-mail")]
    [InlineData("{\"email\":\"first+tag@sub.example.com\"}", "e-mail")]
    [InlineData("subject 811218-9876 not found", "personnummer")]
    [InlineData("subject 8112189876 not found", "personnummer")]
    [InlineData("subject 198112189876 not found", "personnummer")]
    [InlineData("subject 19811218-9876 not found", "personnummer")]
    [InlineData("born before 1926: 121212+1212", "personnummer")]
    [InlineData("nationalIdentityNumber=701063-2391", "samordningsnummer")]
    [InlineData("Request from 192.168.10.23 refused", "IPv4 address")]
    [InlineData("ip: 10.0.0.1", "IPv4 address")]
    [InlineData("Request from 2001:db8::8a2e:370:7334 refused", "IPv6 address")]
    [InlineData("Request from [fe80::1]:443", "IPv6 address")]
    [InlineData("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "IPv6 address")]
    [InlineData("mapped ::ffff:10.1.2.3", "IPv6 address")]
    public void FindsPersonalData(string text, string kind)
    {
        var findings = PersonalDataScanner.Scan(text);

        Assert.Contains(findings, f => f.Kind == kind);
        Assert.DoesNotContain(text.Substring(findings[0].Index, findings[0].Length), PersonalDataScanner.Mask(text, findings), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("request 0f8fad5b-d9cb-469f-a165-70867728950e done")]
    [InlineData("request 12345678-1234-1234-1234-123456789012 done")]
    [InlineData("at 2026-11-25T09:00:00.123Z, 09:00:00 and 1795596000")]
    [InlineData("Now listening on: http://127.0.0.1:5080 and http://[::1]:5080 and http://0.0.0.0:80 and http://[::]:80")]
    [InlineData("Host=127.0.0.1;Port=54321")]
    [InlineData("subject 8112189875 not found")] // bad check digit
    [InlineData("subject 811218-9875 not found")]
    [InlineData("organisation 556016-0680")] // organisationsnummer: not a person
    [InlineData("customer 1000234 and 123456789")]
    [InlineData("Npgsql 10.0.3, EF Core 10.0.15, Version=10.0.0.0, version 1.2.3.4")]
    [InlineData("SELECT x.id::bigint, d::date, 'a'::text FROM t WHERE ab::int > 1")]
    [InlineData("hash 3f786850e387550fdab836ed7e6dc881de23001b and 9876543210123456")]
    [InlineData("user@localhost and git@server")]
    public void IgnoresLookAlikes(string text)
    {
        Assert.Empty(PersonalDataScanner.Scan(text));
    }
}
