namespace Smp.Host.Cluster;

/// <summary>A message between a campaign's coordinator and its workers (serialized by <see cref="ClusterMessageSerializer"/>).</summary>
internal interface IClusterMessage;

/// <summary>A worker introduces itself (repeated until welcomed).</summary>
/// <param name="Node">The worker's node (its unique cluster address).</param>
/// <param name="Threads">Its runner threads.</param>
internal sealed record Hello(string Node, int Threads) : IClusterMessage;

/// <summary>The coordinator's answer to <see cref="Hello"/>: the campaign to run.</summary>
/// <param name="Campaign">The campaign's id (one per coordinator run; messages of another campaign are ignored).</param>
/// <param name="Spec">The campaign object of the report (handlers, cpus, scenario, first, last, shards), as JSON.</param>
internal sealed record Welcome(string Campaign, string Spec) : IClusterMessage;

/// <summary>A worker thread asks for a range (it has none).</summary>
/// <param name="Campaign">The campaign's id.</param>
/// <param name="Node">The worker's node.</param>
/// <param name="Slot">The thread.</param>
internal sealed record Pull(string Campaign, string Node, int Slot) : IClusterMessage;

/// <summary>A range for a worker thread.</summary>
/// <param name="Campaign">The campaign's id.</param>
/// <param name="Lease">The lease's number, quoted in the result.</param>
/// <param name="Slot">The thread.</param>
/// <param name="First">First seed.</param>
/// <param name="Last">Last seed.</param>
/// <param name="Step">Distance between seeds.</param>
internal sealed record Assign(string Campaign, long Lease, int Slot, ulong First, ulong Last, ulong Step) : IClusterMessage;

/// <summary>
/// A piece of a range's result: its journal record cut into pieces small enough for one remoting frame, so that a
/// range full of oopses never blocks the heartbeats behind one huge message.
/// </summary>
/// <param name="Campaign">The campaign's id.</param>
/// <param name="Node">The worker's node.</param>
/// <param name="Lease">The lease.</param>
/// <param name="Index">This piece, 0-based.</param>
/// <param name="Count">The number of pieces.</param>
/// <param name="Seeds">The seeds run (the first ones of the range; fewer than all when the range was cancelled).</param>
/// <param name="Data">The piece of the record (empty when no seed ran).</param>
internal sealed record Part(string Campaign, string Node, long Lease, int Index, int Count, ulong Seeds, byte[] Data) : IClusterMessage;

/// <summary>The coordinator no longer needs a range (another copy finished it, or the campaign stops): stop after the current seed.</summary>
/// <param name="Campaign">The campaign's id.</param>
/// <param name="Lease">The lease.</param>
internal sealed record Cancel(string Campaign, long Lease) : IClusterMessage;

/// <summary>The campaign is over: every seed ran (<paramref name="Complete"/>), or the coordinator was stopped.</summary>
/// <param name="Campaign">The campaign's id.</param>
/// <param name="Complete">Whether every seed ran.</param>
internal sealed record Finished(string Campaign, bool Complete) : IClusterMessage;
