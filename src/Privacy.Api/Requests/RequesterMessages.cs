using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Privacy.Api.Requests;

/// <summary>
/// One message to the requester about their request (received, extended, rejected, completed), sent through the outbox to the
/// company's e-mail system, which writes it: what was said, when, in which language, and which outbox message carried it. The
/// request's communications log: it shows the person was told, and when (Art 12(3)–(4)).
/// </summary>
public sealed class RequestMessage
{
    public long Id { get; set; }

    public Guid RequestId { get; set; }

    /// <summary>received, extended, rejected, completed (the event type's last part).</summary>
    public required string Kind { get; set; }

    /// <summary>The internal system that writes to the requester (Requests:NotificationSystem).</summary>
    public required string Channel { get; set; }

    public required string Language { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>The outbox message that carries it (its delivery is in GET /notifier/outbox).</summary>
    public Guid OutboxMessageId { get; set; }
}

internal sealed class RequestMessageConfiguration : IEntityTypeConfiguration<RequestMessage>
{
    public void Configure(EntityTypeBuilder<RequestMessage> builder)
    {
        builder.ToTable("rights_request_messages");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).UseIdentityAlwaysColumn();
        builder.Property(m => m.Kind).HasMaxLength(32);
        builder.Property(m => m.Channel).HasMaxLength(100);
        builder.Property(m => m.Language).HasMaxLength(2);
        builder.HasOne<RightsRequest>().WithMany(r => r.Messages).HasForeignKey(m => m.RequestId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(m => new { m.RequestId, m.Kind });
    }
}

/// <summary>
/// What a requester must be told when the company does not act, or not fully (Art 12(4)): the reasons, the right to complain to
/// the supervisory authority (IMY) and the right to a judicial remedy, in the requester's language.
/// </summary>
public sealed record NotActingNotice(string Reasons, string Complaint, SupervisoryAuthority Authority, string JudicialRemedy, string Text);

public static class NotActingNotices
{
    /// <summary>Why some data is kept after an erasure, as the requester reads it: under which rule, until when, restricted (Art 18).</summary>
    public static string KeptReasons(IEnumerable<RequestTask> kept, string language)
    {
        var sv = language == "sv";
        return string.Join(" ", kept.GroupBy(t => (t.HoldId, t.KeptUnder, t.KeptUntil)).Select(g =>
        {
            var until = g.Key.KeptUntil?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            var rule = g.Key.HoldId is { } hold
                ? sv ? $"ett rättsligt anspråk (artikel 17.3 e, spärr nr {hold})" : $"a legal claim (Article 17(3)(e), hold no. {hold})"
                : g.Key.KeptUnder;
            return sv
                ? $"Vissa uppgifter sparas på grund av {rule}{(until is null ? " tills spärren hävs" : $" till och med {until}")}; de används inte till något annat och raderas sedan."
                : $"Some data is kept because of {rule}{(until is null ? " until the hold is lifted" : $" until {until}")}; it is not used for anything else and is erased then.";
        }));
    }

    public static NotActingNotice For(string reasons, string language)
    {
        var imy = AccessReports.Imy;
        var sv = language == "sv";
        var complaint = sv
            ? $"Du har rätt att klaga hos {imy.Name}, {imy.Address}, {imy.Website}."
            : $"You have the right to lodge a complaint with the Swedish Authority for Privacy Protection, {imy.Name}, {imy.Address}, {imy.Website}.";
        var court = sv
            ? "Du har också rätt till ett effektivt rättsmedel: du kan väcka talan mot oss i allmän domstol (artikel 79 i dataskyddsförordningen)."
            : "You also have the right to an effective judicial remedy: you may bring proceedings against us before the courts (Article 79 GDPR).";
        reasons = reasons.TrimEnd();
        reasons = reasons.Length == 0 || reasons[^1] is '.' or '!' or '?' ? reasons : reasons + "."; // ops' own words end a sentence
        var opening = sv ? $"Vi kommer inte att tillmötesgå din begäran, helt eller delvis. Skäl: {reasons}" : $"We will not act on your request, in whole or in part. Reasons: {reasons}";
        return new NotActingNotice(reasons, complaint, imy, court, $"{opening} {complaint} {court}");
    }
}

/// <summary>Each rejection ground as the requester reads it, with its article, in their language.</summary>
public static class RejectionGrounds
{
    public static string Text(RejectionGround ground, string language) => (ground, language == "sv") switch
    {
        (RejectionGround.IdentityNotConfirmed, true) => "Vi har inte kunnat bekräfta din identitet (artikel 12.6 i dataskyddsförordningen).",
        (RejectionGround.IdentityNotConfirmed, false) => "We could not confirm your identity (Article 12(6) GDPR).",
        (RejectionGround.ManifestlyUnfounded, true) => "Begäran är uppenbart ogrundad (artikel 12.5 i dataskyddsförordningen).",
        (RejectionGround.ManifestlyUnfounded, false) => "The request is manifestly unfounded (Article 12(5) GDPR).",
        (RejectionGround.Excessive, true) => "Begäran är orimlig, särskilt eftersom den upprepas (artikel 12.5 i dataskyddsförordningen).",
        (RejectionGround.Excessive, false) => "The request is excessive, in particular because it is repetitive (Article 12(5) GDPR).",
        (RejectionGround.CompellingLegitimateGrounds, true) =>
            "Vi har tvingande berättigade skäl för behandlingen som väger tyngre än dina intressen (artikel 21.1 i dataskyddsförordningen).",
        (RejectionGround.CompellingLegitimateGrounds, false) =>
            "We have compelling legitimate grounds for the processing which override your interests (Article 21(1) GDPR).",
        (RejectionGround.ErasureException, true) => "Vi är inte skyldiga att radera uppgifterna (artikel 17.3 i dataskyddsförordningen).",
        _ => "We are not required to erase the data (Article 17(3) GDPR).",
    };
}
