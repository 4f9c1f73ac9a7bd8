using NATS.Client.JetStream.Models;

namespace Goflux.Hosting.Internal;

/// <summary>Everything <c>AddGoflux</c> declared; read once when the host starts.</summary>
internal sealed class GofluxRegistry
{
    public string Section { get; set; } = "Goflux";

    /// <summary>Gets or sets how the backend was chosen (<c>UseJetStream</c>, <c>UseBackend</c>), or <see langword="null"/>.</summary>
    public string? Backend { get; set; }

    public List<StreamConfig> Streams { get; } = [];

    public List<ConsumerDeclaration> Consumers { get; } = [];

    public List<HandlerRegistration> Handlers { get; } = [];

    public HashSet<Type> PublishedTypes { get; } = [];

    public List<Func<IServiceProvider, object>> CodecChecks { get; } = [];
}

internal sealed record ConsumerDeclaration(string Stream, string Name, ConsumerConfig Config);
