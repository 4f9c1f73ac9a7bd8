namespace Goflux.InMemory.Internal;

/// <summary>What an update that changes a configuration field does, as nats-server 2.10.27 answers it.</summary>
internal enum FieldUpdate
{
    /// <summary>The change is applied.</summary>
    Applied,

    /// <summary>The change is refused with <see cref="FieldRule{TConfig}.UpdateError"/>.</summary>
    Rejected,

    /// <summary>The field names the object (its name); it selects what is updated and never differs.</summary>
    Identity,

    /// <summary>The engine does not implement the feature: a configuration that sets the field is refused with
    /// <see cref="NotSupportedException"/> (the reason says so).</summary>
    NotSupported,

    /// <summary>Validation refuses any value but the default, on create and update alike (push-only settings on a pull
    /// consumer), so the field is never part of a stored configuration.</summary>
    Refused,

    /// <summary>The server does not know the field (it is newer than 2.10): it drops it, and so does the engine.</summary>
    Dropped,
}

/// <summary>
/// One row of a configuration table: how a property of NATS.Net's configuration model is normalised (the server's default
/// filled in), whether two configurations are the same for it (idempotent create), and what an update that changes it does.
/// </summary>
/// <typeparam name="TConfig">The NATS.Net configuration model.</typeparam>
/// <param name="Property">The model's property name.</param>
/// <param name="Update">What an update that changes it does.</param>
/// <param name="Copy">Copies the field from the submitted configuration to the normalised one, with the server's default.</param>
/// <param name="Same">Whether two normalised configurations agree on the field; <see langword="null"/> when it is never
/// compared (identity, refused and dropped fields).</param>
/// <param name="Note">What the row means in the server's terms, and for ignored fields why.</param>
internal sealed record FieldRule<TConfig>(
    string Property,
    FieldUpdate Update,
    Action<TConfig, TConfig, ConfigContext> Copy,
    Func<TConfig, TConfig, bool>? Same,
    string Note)
    where TConfig : class
{
    /// <summary>Gets the server's error for an update from the first configuration to the second, or
    /// <see langword="null"/> when the update may do that (checked on normalised configurations).</summary>
    public Func<TConfig, TConfig, GofluxException?>? UpdateError { get; init; }

    /// <summary>Gets the server's error for creating with this value, or <see langword="null"/> (normalised configuration).</summary>
    public Func<TConfig, GofluxException?>? CreateError { get; init; }

    /// <summary>Gets the error for a value the engine cannot honour on create and update alike (submitted configuration).</summary>
    public Func<TConfig, Exception?>? AnyError { get; init; }
}

/// <summary>What normalisation needs besides the submitted configuration.</summary>
/// <param name="Name">The consumer name chosen (for streams: the stream name).</param>
/// <param name="Durable">Whether the consumer is durable (S-46).</param>
internal readonly record struct ConfigContext(string Name, bool Durable);
