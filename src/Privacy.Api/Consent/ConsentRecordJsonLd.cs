using System.Text.Json.Nodes;

namespace Privacy.Api.Consent;

/// <summary>
/// A recorded decision as ISO/IEC TS 27560 consent records in JSON-LD with the W3C Data Privacy Vocabulary (DPV), following the
/// DPVCG's implementation guide (https://w3id.org/dpv/guides/consent-27560): one <c>dpv:ConsentRecord</c> per purpose of the event,
/// each with its own status, in one <c>@graph</c>. Built from the same receipt as the Kantara form, so the two never disagree.
/// </summary>
public static class ConsentRecordJsonLd
{
    public const string MediaType = "application/ld+json";

    private const string Profile = "https://w3id.org/dpv/schema/dpv-27560#record";

    public static JsonObject From(ConsentReceipt receipt)
    {
        var controller = receipt.PiiControllers[0];
        var graph = new JsonArray();
        foreach (var purpose in receipt.Services.SelectMany(s => s.Purposes))
        {
            var process = new JsonObject
            {
                ["@type"] = "dpv:Process",
                ["dpv:hasService"] = receipt.Services[0].Service,
                ["dpv:hasPurpose"] = new JsonObject { ["@id"] = $"smc:purpose/{purpose.Purpose}", ["dct:title"] = purpose.PurposeName },
                ["dpv:hasPersonalData"] = new JsonArray([.. purpose.PiiCategory.Select(c => (JsonNode)new JsonObject { ["@id"] = $"smc:category/{c}" })]),
                ["dpv:hasRecipient"] = new JsonArray([.. purpose.ThirdPartyName.Select(n => (JsonNode)new JsonObject { ["@type"] = "dpv:ThirdParty", ["dct:title"] = n })]),
            };
            graph.Add(new JsonObject
            {
                ["@id"] = $"urn:uuid:{receipt.ConsentReceiptId}#{Uri.EscapeDataString(purpose.Purpose)}",
                ["@type"] = "dpv:ConsentRecord",
                ["dct:identifier"] = $"{receipt.ConsentReceiptId}#{purpose.Purpose}",
                ["dct:conformsTo"] = Profile,
                ["dct:created"] = Instant(receipt.ConsentTime),
                ["dpv:hasDataSubject"] = new JsonObject { ["@id"] = $"smc:subject/{receipt.PiiPrincipalId}", ["@type"] = "dpv:DataSubject" },
                ["dpv:hasDataController"] = new JsonObject
                {
                    ["@type"] = "dpv:DataController", ["dct:title"] = controller.PiiController, ["dpv:hasAddress"] = controller.Address,
                    ["dpv:hasContact"] = $"mailto:{controller.Email}",
                },
                ["dpv:hasJurisdiction"] = $"loc:{receipt.Jurisdiction}",
                ["dpv:hasApplicableLaw"] = "eu-gdpr:GDPR",
                ["dpv:hasLegalBasis"] = purpose.LegalBasis == "consent" ? "eu-gdpr:A6-1-a" : $"smc:legal-basis/{purpose.LegalBasis}",
                ["dpv:hasConsentStatus"] = Status(purpose.Status, receipt.Kind),
                ["dpv:isIndicatedBy"] = "dpv:DataSubject",
                ["dpv:isIndicatedAtTime"] = Instant(receipt.ConsentTime),
                ["dpv:hasIndicationMethod"] = receipt.CollectionMethod,
                ["dpv:hasNotice"] = new JsonObject
                {
                    ["@type"] = "dpv:ConsentNotice", ["dct:identifier"] = receipt.NoticeId, ["dct:language"] = receipt.Language,
                    ["dpv:hasPolicy"] = new JsonObject { ["@type"] = "dpv:Policy", ["dct:hasVersion"] = receipt.PolicyVersion },
                    ["smc:noticeSha256"] = receipt.NoticeHash, // the hex SHA-256 of the exact text shown
                },
                ["dpv:hasProcess"] = process,
                ["rdfs:comment"] = purpose.Termination,
            });
        }

        return new JsonObject
        {
            ["@context"] = new JsonObject
            {
                ["dpv"] = "https://w3id.org/dpv#",
                ["eu-gdpr"] = "https://w3id.org/dpv/legal/eu/gdpr#",
                ["loc"] = "https://w3id.org/dpv/loc#",
                ["dct"] = "http://purl.org/dc/terms/",
                ["rdfs"] = "http://www.w3.org/2000/01/rdf-schema#",
                ["smc"] = "https://privacy.smultronsites.se/ns/", // the service's own terms: purposes, categories, subjects by key
            },
            ["@graph"] = graph,
        };
    }

    /// <summary>DPV's consent states: a grant is given, a refusal refused, a withdrawal withdrawn (by the person, Art 7(3)).</summary>
    internal static string Status(string status, ConsentEventKind kind) => (status, kind) switch
    {
        ("granted", _) => "dpv:ConsentGiven",
        (_, ConsentEventKind.Withdrawal) => "dpv:ConsentWithdrawn",
        _ => "dpv:ConsentRefused",
    };

    private static string Instant(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
