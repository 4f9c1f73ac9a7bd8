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
    /// <summary>The bound on the cluster agreeing on a meta leader again, e.g. after a node restarted.</summary>
    public static readonly TimeSpan FormTimeout = TimeSpan.FromSeconds(45);

    /// <summary>The bound on a node reporting healthy (JetStream up, its streams and consumers current) after a restart.</summary>
    public static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(90);

    /// <summary>How long a restarted node may report "not current with the meta leader" before it is restarted again.</summary>
    public static readonly TimeSpan RejoinWait = TimeSpan.FromSeconds(25);

    /// <summary>How many times <see cref="WaitForHealthyAsync"/> restarts a node stuck behind the meta leader.</summary>
    public const int RejoinAttempts = 2;

    private const string NotCurrent = "JetStream is not current with the meta leader";

    private static int _rejoins;

    /// <summary>Gets how many times a node stuck behind the meta leader was restarted again, in this process.</summary>
    public static int Rejoins => Volatile.Read(ref _rejoins);

    /// <summary>How long one attempt at forming a new cluster may take.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How many times a new cluster is started afresh when it does not form.</summary>
    public const int FormAttempts = 3;

    private readonly DirectoryInfo _root;

    private NatsCluster(DirectoryInfo root, IReadOnlyList<NatsNode> nodes)
    {
        _root = root;
        Nodes = nodes;
    }

    public IReadOnlyList<NatsNode> Nodes { get; }

    /// <summary>The client URLs of all three nodes, comma-separated, as NATS.Net's <c>NatsOpts.Url</c> takes them.</summary>
    public string Urls => string.Join(",", Nodes.Select(n => n.Url));

    /// <summary>The client URLs of the nodes running now, comma-separated.</summary>
    public string RunningUrls => string.Join(",", Nodes.Where(n => n.IsRunning).Select(n => n.Url));

    /// <summary>The client URLs with <paramref name="first"/>'s first, for a client that should connect to that node.</summary>
    public string UrlsStartingWith(string first) => string.Join(",", Nodes.OrderBy(n => n.Name == first ? 0 : 1).Select(n => n.Url));

    /// <summary>
    /// Starts three nodes and waits until the cluster has a meta leader that every node knows and that counts all three.
    /// </summary>
    /// <remarks>
    /// Now and then the meta group bootstraps with two peers and the leader never takes the third in (its <c>/jsz</c>
    /// shows <c>cluster_size</c> 2 and one replica). A cluster that has not formed within <see cref="AttemptTimeout"/> is
    /// therefore stopped and started afresh (new ports, empty stores), up to <see cref="FormAttempts"/> times; the last
    /// failure says what each node saw on every attempt.
    /// </remarks>
    public static async Task<NatsCluster> StartAsync(CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        for (var attempt = 1; attempt <= FormAttempts; attempt++)
        {
            var cluster = await StartOnceAsync(cancellationToken);
            try
            {
                await cluster.WaitForMetaLeaderAsync(AttemptTimeout, cancellationToken);
                return cluster;
            }
            catch (TimeoutException ex)
            {
                failures.Add($"attempt {attempt.ToString(CultureInfo.InvariantCulture)}: {ex.Message}");
                await cluster.DisposeAsync();
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }

        throw new TimeoutException($"The 3-node cluster did not form in {FormAttempts.ToString(CultureInfo.InvariantCulture)} attempts.{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
    }

    private static async Task<NatsCluster> StartOnceAsync(CancellationToken cancellationToken)
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
    public Task<string> WaitForMetaLeaderAsync(CancellationToken cancellationToken) => WaitForMetaLeaderAsync(FormTimeout, cancellationToken);

    /// <summary>Waits, up to <paramref name="timeout"/>, until every running node reports the same meta leader in <c>/jsz</c>, and returns its name.</summary>
    public async Task<string> WaitForMetaLeaderAsync(TimeSpan timeout, CancellationToken cancellationToken)
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
            timeout,
            $"a meta leader known to every running node of the cluster, with every other running node current ({string.Join(", ", Nodes)})",
            cancellationToken);
    }

    /// <summary>
    /// Waits until <paramref name="node"/>'s <c>/healthz</c> answers 200: JetStream is up and its streams are current.
    /// Fails after <see cref="HealthTimeout"/> naming the node, its last answer and the tail of its log.
    /// </summary>
    /// <remarks>
    /// nats-server 2.10.27 sometimes leaves a restarted node stuck at "JetStream is not current with the meta leader":
    /// the node knows the leader, but the leader stops hearing from it (its replica shows inactive for minutes, while
    /// the routes log "Duplicate Route" closures). Such a node is stopped (SIGTERM) and started once more, at most
    /// <see cref="RejoinAttempts"/> times within the bound, and each such restart is written to the test output
    /// (<see cref="Rejoins"/> counts them for the figures). Other unhealthy answers are waited out.
    /// </remarks>
    public static async Task WaitForHealthyAsync(NatsNode node, CancellationToken cancellationToken)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(HealthTimeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        for (var attempt = 1; ; attempt++)
        {
            var left = TimeSpan.FromSeconds((double)(deadline - TimeProvider.System.GetTimestamp()) / System.Diagnostics.Stopwatch.Frequency);
            var wait = attempt <= RejoinAttempts && left > RejoinWait ? RejoinWait : left;
            try
            {
                await Poll.UntilAsync(
                    async () => await node.MonitorAsync("/healthz", cancellationToken) is not null,
                    wait < TimeSpan.Zero ? TimeSpan.Zero : wait,
                    $"nats-server {node} reporting healthy on /healthz",
                    cancellationToken);
                return;
            }
            catch (TimeoutException ex) when (wait == left || node.LastMonitorProblem?.Contains(NotCurrent, StringComparison.Ordinal) != true)
            {
                if (wait != left)
                {
                    continue; // not the stuck state: keep waiting within the bound
                }

                throw new TimeoutException($"{ex.Message} Last answer from {node.Name}: {node.LastMonitorProblem}{Environment.NewLine}{node.RecentOutput()}", ex);
            }
            catch (TimeoutException)
            {
                Interlocked.Increment(ref _rejoins);
                TestContext.Current.SendDiagnosticMessage($"nats-server {node} still '{NotCurrent}' after {RejoinWait.TotalSeconds:0} s: restarting it (attempt {attempt}).");
                await node.StopAsync(cancellationToken);
                await node.StartAsync(cancellationToken);
            }
        }
    }

    /// <summary>
    /// Waits until every node holds the same copy of <paramref name="stream"/>: each node's own <c>/jsz</c> reports the
    /// same message count and last sequence, all name the same leader, and the leader sees every replica current with no
    /// lag. Returns each node's view, e.g. for a figures note.
    /// </summary>
    public async Task<string> WaitForStreamInSyncAsync(string stream, CancellationToken cancellationToken)
    {
        var views = new Dictionary<string, StreamReplicaView?>();
        try
        {
            await Poll.UntilAsync(
                async () =>
                {
                    await ReadViewsAsync(stream, views, cancellationToken);

                    if (views.Values.Any(v => v is null))
                    {
                        return false;
                    }

                    var all = views.Values.Select(v => v!).ToList();
                    var first = all[0];
                    return all.All(v => v.Messages == first.Messages && v.LastSeq == first.LastSeq && v.Leader == first.Leader)
                        && first.Leader is { Length: > 0 } leader
                        && views.TryGetValue(leader, out var leaderView)
                        && leaderView!.ReplicasCurrent == Nodes.Count - 1;
                },
                HealthTimeout,
                $"every node of the cluster holding the same copy of stream {stream}",
                cancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}{Environment.NewLine}{Describe(views)}{Environment.NewLine}{RecentOutput()}", ex);
        }

        return Describe(views);
    }

    /// <summary>Each node's own view of <paramref name="stream"/> now (message count, last sequence, leader), without waiting.</summary>
    public async Task<string> DescribeStreamAsync(string stream, CancellationToken cancellationToken)
    {
        var views = new Dictionary<string, StreamReplicaView?>();
        await ReadViewsAsync(stream, views, cancellationToken);
        return Describe(views);
    }

    private async Task ReadViewsAsync(string stream, Dictionary<string, StreamReplicaView?> views, CancellationToken cancellationToken)
    {
        views.Clear();
        foreach (var node in Nodes)
        {
            var jsz = await node.MonitorAsync("/jsz?accounts=true&streams=true", cancellationToken);
            views[node.Name] = jsz is null ? null : StreamReplicaView.Parse(jsz, stream);
        }
    }

    private string Describe(Dictionary<string, StreamReplicaView?> views) => string.Join(
        "; ",
        Nodes.Select(n => views.TryGetValue(n.Name, out var v) && v is not null
            ? $"{n.Name}: {v.Messages:N0} messages, last seq {v.LastSeq:N0}, leader {(v.Leader is { Length: > 0 } l ? l : "none")}"
            : $"{n.Name}: no copy ({n.LastMonitorProblem ?? "not in /jsz"})"));

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

/// <summary>One node's own view of a stream, from its <c>/jsz?accounts=true&amp;streams=true</c>.</summary>
internal sealed record StreamReplicaView(ulong Messages, ulong LastSeq, string? Leader, int ReplicasCurrent)
{
    /// <summary>The view of <paramref name="stream"/> in <paramref name="jsz"/>, or <see langword="null"/> when the node does not hold it.</summary>
    public static StreamReplicaView? Parse(string jsz, string stream)
    {
        using var doc = JsonDocument.Parse(jsz);
        if (!doc.RootElement.TryGetProperty("account_details", out var accounts) || accounts.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var account in accounts.EnumerateArray())
        {
            if (!account.TryGetProperty("stream_detail", out var streams) || streams.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var detail in streams.EnumerateArray())
            {
                if (!detail.TryGetProperty("name", out var name) || name.GetString() != stream || !detail.TryGetProperty("state", out var state))
                {
                    continue;
                }

                string? leader = null;
                var current = 0;
                if (detail.TryGetProperty("cluster", out var cluster))
                {
                    leader = cluster.TryGetProperty("leader", out var l) ? l.GetString() : null;
                    if (cluster.TryGetProperty("replicas", out var replicas) && replicas.ValueKind == JsonValueKind.Array)
                    {
                        current = replicas.EnumerateArray().Count(r =>
                            r.TryGetProperty("current", out var c) && c.ValueKind == JsonValueKind.True
                            && !(r.TryGetProperty("offline", out var o) && o.ValueKind == JsonValueKind.True)
                            && !(r.TryGetProperty("lag", out var lag) && lag.TryGetUInt64(out var behind) && behind > 0));
                    }
                }

                return new StreamReplicaView(
                    state.TryGetProperty("messages", out var m) ? m.GetUInt64() : 0,
                    state.TryGetProperty("last_seq", out var ls) ? ls.GetUInt64() : 0,
                    leader,
                    current);
            }
        }

        return null;
    }
}
