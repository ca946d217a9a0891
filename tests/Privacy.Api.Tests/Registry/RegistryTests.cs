using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Registry;

public sealed class RegistryTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    private async Task<bool> Exists(string table, string key) =>
        await factory.ScalarAsync($"SELECT count(*) FROM privacy.{table} WHERE key = $1", key) > 0;

    [Fact]
    public async Task OpsCreateACategoryThatEveryCallerCanReadAndTheChangeIsAudited()
    {
        // Act
        using var created = await _ops.PostJson("/registry/categories",
            new { key = "user.contact.address", name = "Postal address", description = "Where invoices are sent." });

        // Assert
        var category = await created.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.Equal("/registry/categories/user.contact.address", created.Headers.Location?.OriginalString);
        Assert.Equal("Postal address", category.GetProperty("name").GetString());
        foreach (var role in Roles.ServerSide)
        {
            using var read = await factory.Client(role).GetAsync("/registry/categories/user.contact.address");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        var audit = await _ops.GetFromJsonAsync<JsonElement>("/audit/entries?entityType=registry.DataCategory&entityId=user.contact.address");
        var entry = Assert.Single(audit.GetProperty("items").EnumerateArray());
        Assert.Equal("registry.DataCategory.created", entry.GetProperty("action").GetString());
        Assert.Equal("test-ops", entry.GetProperty("actorKeyId").GetString());
        Assert.Equal("ops", entry.GetProperty("actorRole").GetString());
    }

    [Fact]
    public async Task InvalidPurposeNamesEveryBrokenField()
    {
        using var response = await _ops.PostJson("/registry/purposes",
            new { key = "Not A Key", name = "", legalBasis = (string?)null, dataSubjects = Array.Empty<string>(), retention = "" });

        var fields = await response.AssertValidationErrors();
        Assert.Equal(["dataSubjects", "key", "legalBasis", "name", "retention"], fields.Order());
        Assert.False(await Exists("purposes", "Not A Key"));
    }

    [Fact]
    public async Task AnUnknownLegalBasisIsRefusedNamingTheField()
    {
        using var response = await _ops.PostJson("/registry/purposes", new
        {
            key = "profiling", name = "Profiling", legalBasis = "because_we_can", dataSubjects = new[] { "customer" }, retention = "1 year",
        });

        var fields = await response.AssertValidationErrors();
        Assert.Equal(["$.legalBasis"], fields);
    }

    [Fact]
    public async Task ARecipientOutsideTheEeaNeedsATransferSafeguard()
    {
        var recipient = new { key = "us-mailer", name = "US mailing service", kind = "processor", country = "US", transferSafeguard = (string?)null };
        using var refused = await _ops.PostJson("/registry/recipients", recipient);
        Assert.Equal(["transferSafeguard"], await refused.AssertValidationErrors());

        using var badCountry = await _ops.PostJson("/registry/recipients", recipient with { country = "XX", transferSafeguard = "SCC" });
        Assert.Equal(["country"], await badCountry.AssertValidationErrors());

        using var accepted = await _ops.PostJson("/registry/recipients",
            recipient with { transferSafeguard = "Standard contractual clauses (EU) 2021/914, module 2" });
        var created = await accepted.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.True(created.GetProperty("outsideEea").GetBoolean());
    }

    [Fact]
    public async Task AKeyIsNeverReusedEvenAfterRetirement()
    {
        var body = new { key = "user.reused", name = "Reused" };
        (await _ops.PostJson("/registry/categories", body)).EnsureSuccessStatusCode();
        (await _ops.PostAsync("/registry/categories/user.reused/retire", null)).EnsureSuccessStatusCode();

        using var again = await _ops.PostJson("/registry/categories", body);
        await again.AssertProblem(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task AReferencedCategoryCannotBeDeletedButCanBeRetired()
    {
        (await _ops.PostJson("/registry/categories", new { key = "user.loyalty_points", name = "Loyalty points" })).EnsureSuccessStatusCode();
        using var link = await _ops.PostJson("/registry/links", new { purpose = "customer_obligations", category = "user.loyalty_points" });
        var linkId = (await link.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetInt64();

        // Act: delete is refused, naming what refers to it
        using var delete = await _ops.DeleteAsync("/registry/categories/user.loyalty_points");
        var problem = await delete.AssertProblem(HttpStatusCode.Conflict);
        Assert.Contains($"link {linkId}", problem.GetProperty("detail").GetString());
        Assert.True(await Exists("data_categories", "user.loyalty_points"));

        // Act: retire is allowed and keeps the entry
        using var retire = await _ops.PostAsync("/registry/categories/user.loyalty_points/retire", null);
        var retired = await retire.ReadOk<JsonElement>();
        Assert.NotEqual(JsonValueKind.Null, retired.GetProperty("retiredAt").ValueKind);

        // Assert: gone from lists and the record of processing, still readable, unusable for new links
        var active = await _ops.GetFromJsonAsync<JsonElement>("/registry/categories");
        Assert.DoesNotContain(active.EnumerateArray(), c => c.GetProperty("key").GetString() == "user.loyalty_points");
        var all = await _ops.GetFromJsonAsync<JsonElement>("/registry/categories?includeRetired=true");
        Assert.Contains(all.EnumerateArray(), c => c.GetProperty("key").GetString() == "user.loyalty_points");
        var record = await _ops.GetStringAsync("/registry/record-of-processing");
        Assert.DoesNotContain("user.loyalty_points", record);
        using var newLink = await _ops.PostJson("/registry/links", new { purpose = "billing", category = "user.loyalty_points" });
        Assert.Equal(["category"], await newLink.AssertValidationErrors());
        using var update = await _ops.PutAsJsonAsync("/registry/categories/user.loyalty_points", new { key = "user.loyalty_points", name = "Points" });
        await update.AssertProblem(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task AnUnreferencedEntryCanBeDeletedAndTheDeletionIsAudited()
    {
        (await _ops.PostJson("/registry/categories", new { key = "user.typo", name = "Typo" })).EnsureSuccessStatusCode();

        using var delete = await _ops.DeleteAsync("/registry/categories/user.typo");

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.False(await Exists("data_categories", "user.typo"));
        var audit = await _ops.GetFromJsonAsync<JsonElement>("/audit/entries?entityType=registry.DataCategory&entityId=user.typo");
        Assert.Equal(["registry.DataCategory.created", "registry.DataCategory.deleted"],
            audit.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        using var again = await _ops.DeleteAsync("/registry/categories/user.typo");
        await again.AssertProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ARecipientBoundToAPartnerKeyCannotBeDeleted()
    {
        using var delete = await _ops.DeleteAsync("/registry/recipients/card-provider");

        var problem = await delete.AssertProblem(HttpStatusCode.Conflict);
        Assert.Contains("partner API key test-partner", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task UpdateReplacesFieldsButNeverTheKey()
    {
        (await _ops.PostJson("/registry/systems", new { key = "crm", name = "CRM", categories = new[] { "user.name" } })).EnsureSuccessStatusCode();

        using var renamed = await _ops.PutAsJsonAsync("/registry/systems/crm",
            new { key = "other", name = "CRM", categories = new[] { "user.name" } });
        Assert.Equal(["key"], await renamed.AssertValidationErrors());

        using var unknownCategory = await _ops.PutAsJsonAsync("/registry/systems/crm",
            new { key = "crm", name = "CRM", categories = new[] { "user.name", "user.nonexistent" } });
        Assert.Equal(["categories[1]"], await unknownCategory.AssertValidationErrors());

        using var updated = await _ops.PutAsJsonAsync("/registry/systems/crm",
            new { key = "crm", name = "Customer relations", categories = new[] { "user.contact.email", "user.name" } });
        var system = await updated.ReadOk<JsonElement>();
        Assert.Equal("Customer relations", system.GetProperty("name").GetString());
        Assert.Equal(["user.contact.email", "user.name"], system.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));

        using var missing = await _ops.PutAsJsonAsync("/registry/systems/nope", new { key = "nope", name = "Nope", categories = Array.Empty<string>() });
        await missing.AssertProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ALinkNeedsActiveEntriesAndIsUniqueWhileActive()
    {
        using var unknown = await _ops.PostJson("/registry/links", new { purpose = "nope", category = "user.name", recipient = "nobody" });
        Assert.Equal(["purpose", "recipient"], (await unknown.AssertValidationErrors()).Order());

        var body = new { purpose = "publication", category = "user.contact.email", recipient = (string?)null };
        using var first = await _ops.PostJson("/registry/links", body);
        var id = (await first.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetInt64();
        using var duplicate = await _ops.PostJson("/registry/links", body);
        await duplicate.AssertProblem(HttpStatusCode.Conflict);

        (await _ops.PostAsync($"/registry/links/{id}/retire", null)).EnsureSuccessStatusCode();
        using var again = await _ops.PostJson("/registry/links", body);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
    }

    [Fact]
    public async Task OnlyOpsChangeTheRegistry()
    {
        foreach (var role in new[] { Roles.Frontend, Roles.Partner, Roles.System })
        {
            using var response = await factory.Client(role).PostJson("/registry/categories", new { key = "user.sneaky", name = "Sneaky" });
            await response.AssertProblem(HttpStatusCode.Forbidden);
        }

        Assert.False(await Exists("data_categories", "user.sneaky"));
    }
}
