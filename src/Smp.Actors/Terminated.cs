namespace Smp.Actors;

/// <summary>
/// Sent to every actor that watches <paramref name="Actor"/> (see
/// <see cref="IActorContext.Watch"/>) once that actor has stopped.
/// </summary>
/// <param name="Actor">The actor that stopped.</param>
public sealed record Terminated(IActorRef Actor);
