using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Privacy.Api.Audit;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Keys;

namespace Privacy.Api.Consent;

/// <summary>How a presented value compares with a proof's keyed hash.</summary>
public enum ProofMatch
{
    /// <summary>It is the value the proof recorded.</summary>
    Matches,

    /// <summary>It is not.</summary>
    DoesNotMatch,

    /// <summary>The proof recorded no such value (or it was erased with the person's data).</summary>
    NotRecorded,
}

/// <summary>What a proof check found, and the key the proof's hashes were made with.</summary>
public sealed record ProofCheckResponse(Guid ReceiptId, ProofMatch? IpAddress, ProofMatch? UserAgent, string KeyId);

/// <summary>
/// Art 7(1): the controller must be able to show that a person consented. Once retention has erased a proof's clear IP address and
/// user agent, its keyed hashes still show whether an address or browser presented later (by the person, a court, IMY) is the one the
/// decision came from. Each proof is checked under the key its hashes were made with, so a rotation of the proof-hashing key leaves
/// every older proof checkable.
/// </summary>
public static class ConsentProofCheck
{
    public static async Task<Results<Ok<ProofCheckResponse>, ValidationProblem, ProblemHttpResult>> Check(
        Guid receiptId, ProofRequest request, PrivacyDbContext db, DataKeyring keyring, AuditTrail audit, CancellationToken cancellationToken)
    {
        if (request.IpAddress is null && request.UserAgent is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["ipAddress"] = ["Give 'ipAddress', 'userAgent' or both: the values to compare with the proof."],
            });
        }

        var proof = await db.Set<ConsentProof>().AsNoTracking().FirstOrDefaultAsync(p => p.EventId == receiptId, cancellationToken);
        if (proof is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "There is no consent receipt with this id.");
        }

        var keyId = proof.KeyId ?? DataKeyring.LegacyKeyId; // a proof from before the keyring
        if (keyring.Find(DataKeyUse.ProofHashing, keyId) is not { } key)
        {
            // Not reached while the start-up check holds: the service does not start without a key a stored proof refers to.
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Proof key not configured",
                detail: $"This proof's hashes were made with data key '{keyId}', which is not configured (DataKeys:ProofHashing:Keys:{keyId}).");
        }

        var ip = request.IpAddress is null ? (ProofMatch?)null : Compare(proof.IpAddressHash, ConsentProof.Hash(key, IPAddress.Parse(request.IpAddress)));
        var agent = request.UserAgent is null ? (ProofMatch?)null : Compare(proof.UserAgentHash, ConsentProof.Hash(key, request.UserAgent));
        audit.Record("consent.proof_checked", "consent_event", receiptId.ToString(), new { ipAddress = ip, userAgent = agent, keyId });
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new ProofCheckResponse(receiptId, ip, agent, keyId));
    }

    private static ProofMatch Compare(string? stored, string presented) =>
        stored is null ? ProofMatch.NotRecorded
        : CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stored), Encoding.ASCII.GetBytes(presented)) ? ProofMatch.Matches
        : ProofMatch.DoesNotMatch;
}
