using System.Globalization;
using System.Text.Json;

namespace Goflux.Reliability.Tests.Infrastructure;

/// <summary>
/// A JetStream cluster of three nats-server processes on 127.0.0.1 (routes between them, one store directory and one
/// set of free ports each, server names n1..n3), started from the provisioned binary. Any node can be killed
/// (SIGKILL), stopped (SIGTERM) and restarted by PID with the same ports and store, so clients connected to
/// <see cref="Urls"/> find it again.
/// </summary>
public sealed class NatsCluster : IAsyncDisposable
{
    public static readonly TimeSpan FormTimeout = TimeSpan.FromSeconds(45);

    private readonly DirectoryInfo _root;

    private NatsCluster(DirectoryInfo root, IReadOnlyList<NatsNode> nodes)
    {
        _root = root;
        Nodes = nodes;
    }

    public IReadOnlyList<NatsNode> Nodes { get; }

    /// <summary>The client URLs of all three nodes, comma-separated, as NATS.Net's <c>NatsOpts.Url</c> takes them.</summary>
    public string Urls => string.Join(",", Nodes.Select(n => n.Url));

    /// <summary>The client URLs with <paramref name="first"/>'s first, for a client that should connect to that node.</summary>
    public string UrlsStartingWith(string first) => string.Join(",", Nodes.OrderBy(n => n.Name == first ? 0 : 1).Select(n => n.Url));

    /// <summary>Starts three nodes and waits until the cluster has a meta leader that every node knows.</summary>
    public static async Task<NatsCluster> StartAsync(CancellationToken cancellationToken)
    {
        var binary = NatsBinary.Locate();
        var root = Directory.CreateTempSubdirectory("goflux-cluster-");
        var clusterName = "goflux-" + Guid.NewGuid().ToString("N")[..8];
        var routePorts = Enumerable.Range(0, 3).Select(_ => NatsNode.FreePort()).ToArray();
        var nodes = new List<NatsNode>();
        for (var i = 0; i < 3; i++)
        {
            var name = $"n{i + 1}";
            nodes.Add(new NatsNode(
                binary,
                name,
                Path.Combine(root.FullName, name),
                [
                    "--cluster_name", clusterName,
                    "--cluster", $"nats://127.0.0.1:{routePorts[i].ToString(CultureInfo.InvariantCulture)}",
                    // Routes to the other two only: a route to itself made the meta group form without one node now and then.
                    "--routes", string.Join(",", routePorts.Where((_, j) => j != i).Select(p => $"nats://127.0.0.1:{p.ToString(CultureInfo.InvariantCulture)}")),
                ]));
        }

        var cluster = new NatsCluster(root, nodes);
        try
        {
            await Task.WhenAll(nodes.Select(n => n.StartAsync(cancellationToken)));
            await cluster.WaitForMetaLeaderAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public NatsNode Node(string name) =>
        Nodes.FirstOrDefault(n => n.Name == name) ?? throw new ArgumentException($"No node named '{name}' (nodes: {string.Join(", ", Nodes.Select(n => n.Name))}).", nameof(name));

    /// <summary>Waits until every running node reports the same meta leader in <c>/jsz</c>, and returns its name.</summary>
    public async Task<string> WaitForMetaLeaderAsync(CancellationToken cancellationToken)
    {
        string? leader = null;
        try
        {
            await WaitAsync();
        }
        catch (TimeoutException ex)
        {
            var views = new List<string>();
            foreach (var node in Nodes)
            {
                var jsz = await node.MonitorAsync("/jsz", CancellationToken.None);
                views.Add($"{node.Name}: {(jsz is null ? node.LastMonitorProblem : MetaView(jsz))}");
            }

            throw new TimeoutException($"{ex.Message}{Environment.NewLine}meta_cluster as each node sees it:{Environment.NewLine}{string.Join(Environment.NewLine, views)}{Environment.NewLine}{RecentOutput()}", ex);
        }

        return leader!;

        Task WaitAsync() => Poll.UntilAsync(
            async () =>
            {
                var running = Nodes.Where(n => n.IsRunning).ToList();
                var leaders = new HashSet<string>(StringComparer.Ordinal);
                foreach (var node in running)
                {
                    var jsz = await node.MonitorAsync("/jsz", cancellationToken);
                    if (jsz is null || MetaLeader(jsz) is not { Length: > 0 } seen)
                    {
                        return false;
                    }

                    leaders.Add(seen);
                }

                leader = leaders.Count == 1 ? leaders.Single() : null;
                if (leader is null || Nodes.FirstOrDefault(n => n.Name == leader && n.IsRunning) is not { } leaderNode)
                {
                    return false;
                }

                // Placement needs the followers registered and current on the leader, not just a leader.
                var leaderJsz = await leaderNode.MonitorAsync("/jsz", cancellationToken);
                return leaderJsz is not null && ClusterSize(leaderJsz) == Nodes.Count && CurrentFollowers(leaderJsz) >= running.Count - 1;
            },
            FormTimeout,
            $"a meta leader known to every running node of the cluster, with every other running node current ({string.Join(", ", Nodes)})",
            cancellationToken);
    }

    /// <summary>Waits until <paramref name="node"/>'s <c>/healthz</c> answers 200: JetStream is up and its streams are current.</summary>
    public static async Task WaitForHealthyAsync(NatsNode node, CancellationToken cancellationToken)
    {
        try
        {
            await Poll.UntilAsync(
                async () => await node.MonitorAsync("/healthz", cancellationToken) is not null,
                FormTimeout,
                $"nats-server {node} reporting healthy on /healthz",
                cancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last answer: {node.LastMonitorProblem}{Environment.NewLine}{node.RecentOutput()}", ex);
        }
    }

    public string RecentOutput() => string.Join(Environment.NewLine, Nodes.Select(n => n.RecentOutput()));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        try
        {
            _root.Delete(recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left in the temporary folder; nothing depends on it.
        }
    }

    private static int CurrentFollowers(string jsz)
    {
        using var doc = JsonDocument.Parse(jsz);
        if (!doc.RootElement.TryGetProperty("meta_cluster", out var meta) || !meta.TryGetProperty("replicas", out var replicas) || replicas.ValueKind != JsonValueKind.Array)
        {
            return 0;
        }

        return replicas.EnumerateArray().Count(r =>
            r.TryGetProperty("current", out var current) && current.ValueKind == JsonValueKind.True
            && !(r.TryGetProperty("offline", out var offline) && offline.ValueKind == JsonValueKind.True));
    }

    private static int ClusterSize(string jsz)
    {
        using var doc = JsonDocument.Parse(jsz);
        return doc.RootElement.TryGetProperty("meta_cluster", out var meta) && meta.TryGetProperty("cluster_size", out var size) && size.TryGetInt32(out var n) ? n : 0;
    }

    private static string MetaView(string jsz)
    {
        using var doc = JsonDocument.Parse(jsz);
        return doc.RootElement.TryGetProperty("meta_cluster", out var meta) ? meta.GetRawText() : "(no meta_cluster)";
    }

    private static string? MetaLeader(string jsz)
    {
        using var doc = JsonDocument.Parse(jsz);
        return doc.RootElement.TryGetProperty("meta_cluster", out var meta) && meta.TryGetProperty("leader", out var leader)
            ? leader.GetString()
            : null;
    }
}
