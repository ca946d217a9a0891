using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Privacy.Api.Requests;

/// <summary>The data subject's rights (Art 15–21) the policy and GDPR grant.</summary>
public enum RequestType
{
    /// <summary>Art 15: what is processed, why, for how long, given to whom.</summary>
    Access = 1,

    /// <summary>Art 16: correct inaccurate data.</summary>
    Rectification,

    /// <summary>Art 17: erase the data.</summary>
    Erasure,

    /// <summary>The policy's avidentifiering: keep the data only in a form that no longer identifies the subject.</summary>
    Anonymisation,

    /// <summary>Art 16: complete incomplete data.</summary>
    Completion,

    /// <summary>Art 18: keep the data but stop processing it.</summary>
    Restriction,

    /// <summary>Art 20: the data the subject provided, machine-readable.</summary>
    Portability,

    /// <summary>Art 21: stop processing for a purpose based on legitimate interests or for direct marketing.</summary>
    Objection,
}

public enum RequestStatus
{
    /// <summary>Submitted; waiting for the requester's identity to be confirmed (Art 12(6)).</summary>
    Received = 1,

    /// <summary>The identity is confirmed; the work has not started yet.</summary>
    IdentityVerified,

    /// <summary>The tasks went out to the internal systems and recipients; waiting for their outcomes.</summary>
    InProgress,

    /// <summary>Every task is done.</summary>
    Completed,

    /// <summary>Done except for what the law requires to keep (each kept thing with its legal ground and end date).</summary>
    PartiallyCompleted,

    /// <summary>Rejected: identity not confirmed, or manifestly unfounded or excessive (Art 12(5)).</summary>
    Rejected,
}

/// <summary>How the request reached the company.</summary>
public enum RequestChannel
{
    /// <summary>The website, for a signed-in customer.</summary>
    Web = 1,

    /// <summary>By e-mail, entered by ops.</summary>
    Email,

    /// <summary>By letter, entered by ops.</summary>
    Letter,

    /// <summary>By phone, entered by ops.</summary>
    Phone,

    /// <summary>The privacy center (<c>/privacy-center</c>): a person who is not signed in, who confirms the e-mail address by a one-time code.</summary>
    PrivacyCenter,

    /// <summary>Not a data subject's request: the retention sweep erasing or anonymising data whose period ended (R6).</summary>
    Retention,
}

/// <summary>
/// One rights request and where it stands. Due one month after receipt (Art 12(3)), counted in Swedish days
/// (<see cref="RequestDeadlines"/>), extendable once by at most two further months with a reason. Each status change is a <see cref="RequestTransition"/> and an audit entry.
/// </summary>
public sealed class RightsRequest
{
    /// <summary>Public id (Guid v7): not guessable, so it can be shown to the requester.</summary>
    public Guid Id { get; set; }

    public RequestType Type { get; set; }

    public RequestStatus Status { get; set; }

    public RequestChannel Channel { get; set; }

    public string? CustomerNumber { get; set; }

    /// <summary>Where the company's e-mail system answers the requester (kept with the request, erased with it).</summary>
    public string? Email { get; set; }

    /// <summary>The national identity number as a keyed hash only.</summary>
    public string? NationalIdHash { get; set; }

    /// <summary>The id of the data key the hash was made with.</summary>
    public string? NationalIdKeyId { get; set; }

    /// <summary>sv or en: the language of the requester's notifications and report.</summary>
    public required string Language { get; set; }

    /// <summary>For rectification and completion: registry category → proposed value (JSON object).</summary>
    public string? Changes { get; set; }

    /// <summary>Only these categories (null: everything about the subject).</summary>
    public List<string>? Categories { get; set; }

    /// <summary>For an objection: the purpose objected to.</summary>
    public string? Purpose { get; set; }

    public string? Note { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>The end of the Swedish day the month from receipt ends on (<see cref="RequestDeadlines.DueAt"/>): overdue after it.</summary>
    public DateTimeOffset DueAt { get; set; }

    /// <summary>Set by the one extension allowed (Art 12(3)): the end of the extended period, 1 + 1 or 2 months from receipt.</summary>
    public DateTimeOffset? ExtendedDueAt { get; set; }

    public string? ExtensionReason { get; set; }

    public DateTimeOffset? ClosedAt { get; set; }

    /// <summary>Why it was rejected, or closed by ops with tasks still open.</summary>
    public string? Resolution { get; set; }

    public required string SubmittedBy { get; set; }

    public List<RequestTransition> Transitions { get; set; } = [];

    public List<RequestTask> Tasks { get; set; } = [];

    /// <summary>The identifiers given, each with its verification.</summary>
    public List<RequestIdentifier> Identifiers { get; set; } = [];

    /// <summary>What the requester was sent about the request, and when (the communications log).</summary>
    public List<RequestMessage> Messages { get; set; } = [];

    /// <summary>The customer numbers the request covers (matched by a verified identifier, or recorded by ops with the reason).</summary>
    public List<RequestCustomer> Customers { get; set; } = [];

    /// <summary>The given customer number, when the request covers it (verified): the one tasks and messages may name.</summary>
    public string? CoveredCustomerNumber => Customers.Any(c => c.CustomerNumber == CustomerNumber) ? CustomerNumber : null;

    public DateTimeOffset EffectiveDueAt => ExtendedDueAt ?? DueAt;
}

/// <summary>One status change: from, to, when, by whom, why. Append-only.</summary>
public sealed class RequestTransition
{
    public long Id { get; set; }

    public Guid RequestId { get; set; }

    public RequestStatus? From { get; set; }

    public RequestStatus To { get; set; }

    public DateTimeOffset At { get; set; }

    public required string Actor { get; set; }

    public string? Reason { get; set; }
}

public enum TaskTargetKind
{
    /// <summary>An internal system of the registry: it reads its tasks (or gets them by webhook) and reports the outcome.</summary>
    System = 1,

    /// <summary>A recipient the data was disclosed to: told through a follow-up (partner feed and webhook), done when it acknowledges.</summary>
    Recipient,
}

/// <summary>What a task asks of its target.</summary>
public enum TaskAction
{
    /// <summary>Erase the subject's data (Art 17).</summary>
    Erase = 1,

    /// <summary>Keep the data only in a form that no longer identifies the subject.</summary>
    Anonymise,

    /// <summary>Correct or complete the data with the request's changes (Art 16).</summary>
    Rectify,

    /// <summary>Keep the data but stop processing it (Art 18).</summary>
    Restrict,

    /// <summary>Stop processing for the objected purpose.</summary>
    StopProcessing,

    /// <summary>Return the subject's data (access, portability).</summary>
    Export,
}

public enum RequestTaskStatus
{
    /// <summary>Not reported yet.</summary>
    Pending = 1,

    /// <summary>Reported done (for access and portability, with the data).</summary>
    Done,

    /// <summary>Reported failed, with the reason; may be reported again.</summary>
    Failed,

    /// <summary>Withdrawn before it was done: the request was rejected once the work had gone out (the system is told).</summary>
    Cancelled,
}

/// <summary>One system's or recipient's part of a request; it completes or fails on its own.</summary>
public sealed class RequestTask
{
    public long Id { get; set; }

    public Guid RequestId { get; set; }

    public TaskTargetKind TargetKind { get; set; }

    public required string Target { get; set; }

    public TaskAction Action { get; set; }

    public List<string> Categories { get; set; } = [];

    /// <summary>The law that makes the target keep the data (restricted instead of erased), e.g. Bokföringslagen 7 kap. 2 §.</summary>
    public string? KeptUnder { get; set; }

    /// <summary>Until when the law requires it to be kept; it is erased then.</summary>
    public DateOnly? KeptUntil { get; set; }

    /// <summary>The legal hold that keeps it (restricted, not erased); when the hold is released the erasure goes out.</summary>
    public long? HoldId { get; set; }

    /// <summary>The covered customers this task is about (null: every customer the request covers).</summary>
    public List<string>? CustomerNumbers { get; set; }

    /// <summary>For a recipient task: the follow-up that carries it.</summary>
    public long? FollowUpId { get; set; }

    public RequestTaskStatus Status { get; set; } = RequestTaskStatus.Pending;

    public string? Outcome { get; set; }

    /// <summary>Data a system returned for access or portability (JSON), part of the export.</summary>
    public string? Result { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public string? CompletedBy { get; set; }
}

internal sealed class RightsRequestConfiguration : IEntityTypeConfiguration<RightsRequest>
{
    public void Configure(EntityTypeBuilder<RightsRequest> builder)
    {
        builder.ToTable("rights_requests");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).ValueGeneratedNever();
        builder.Property(r => r.Type).HasConversion<string>().HasMaxLength(32);
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(32);
        builder.Property(r => r.Channel).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.CustomerNumber).HasMaxLength(64);
        builder.Property(r => r.Email).HasMaxLength(320);
        builder.Property(r => r.NationalIdHash).HasMaxLength(64).IsFixedLength();
        builder.Property(r => r.NationalIdKeyId).HasMaxLength(32);
        builder.Property(r => r.Language).HasMaxLength(2);
        builder.Property(r => r.Changes).HasColumnType("jsonb");
        builder.Property(r => r.Purpose).HasMaxLength(100);
        builder.Property(r => r.Note).HasMaxLength(2000);
        builder.Property(r => r.ExtensionReason).HasMaxLength(1000);
        builder.Property(r => r.Resolution).HasMaxLength(1000);
        builder.Property(r => r.SubmittedBy).HasMaxLength(64);
        builder.Ignore(r => r.EffectiveDueAt);
        builder.Ignore(r => r.CoveredCustomerNumber);
        builder.HasMany(r => r.Identifiers).WithOne().HasForeignKey(i => i.RequestId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(r => r.Customers).WithOne().HasForeignKey(c => c.RequestId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(r => r.Transitions).WithOne().HasForeignKey(t => t.RequestId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(r => r.Tasks).WithOne().HasForeignKey(t => t.RequestId).OnDelete(DeleteBehavior.Cascade);
        // Ops' lists: open requests by due date.
        builder.HasIndex(r => new { r.Status, r.DueAt });
        builder.HasIndex(r => r.CustomerNumber);
    }
}

internal sealed class RequestTransitionConfiguration : IEntityTypeConfiguration<RequestTransition>
{
    public void Configure(EntityTypeBuilder<RequestTransition> builder)
    {
        builder.ToTable("rights_request_transitions");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Id).UseIdentityAlwaysColumn();
        builder.Property(t => t.From).HasConversion<string>().HasMaxLength(32);
        builder.Property(t => t.To).HasConversion<string>().HasMaxLength(32);
        builder.Property(t => t.Actor).HasMaxLength(64);
        builder.Property(t => t.Reason).HasMaxLength(1000);
    }
}

internal sealed class RequestTaskConfiguration : IEntityTypeConfiguration<RequestTask>
{
    public void Configure(EntityTypeBuilder<RequestTask> builder)
    {
        builder.ToTable("rights_request_tasks");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Id).UseIdentityAlwaysColumn();
        builder.Property(t => t.TargetKind).HasConversion<string>().HasMaxLength(16);
        builder.Property(t => t.Target).HasMaxLength(100);
        builder.Property(t => t.Action).HasConversion<string>().HasMaxLength(32);
        builder.Property(t => t.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(t => t.KeptUnder).HasMaxLength(200);
        builder.HasIndex(t => t.HoldId).HasFilter("hold_id IS NOT NULL");
        builder.Property(t => t.Outcome).HasMaxLength(1000);
        builder.Property(t => t.Result).HasColumnType("jsonb");
        builder.Property(t => t.CompletedBy).HasMaxLength(64);
        // Each system's feed of its own open tasks; and the task a follow-up acknowledgement completes.
        builder.HasIndex(t => new { t.TargetKind, t.Target, t.Status, t.Id });
        builder.HasIndex(t => t.FollowUpId).IsUnique().HasFilter("follow_up_id IS NOT NULL");
    }
}
