using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Audit;

/// <summary>An auditor reads an entry's details without the source code: enums by name, never by number.</summary>
public sealed class AuditDetailsTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    [Fact]
    public async Task AuditDetailsNameEnumValuesNotNumbers()
    {
        var customer = TestSubjects.NewCustomer();
        var recorded = await factory.Client(Roles.Ops).Record(ConsentRequests.Decision("customer", customer, [("newsletter", "granted")]));
        var receipt = recorded.GetProperty("receiptId").GetString()!;

        await using var connection = await factory.OpenDatabaseAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT details->>'channel', details->>'subjectType' FROM privacy.audit_entries WHERE entity_id = $1", connection);
        command.Parameters.AddWithValue(receipt);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("settings_page", "customer"), (reader.GetString(0), reader.GetString(1)));
    }
}
