namespace Smp.Actors.Internal;

/// <summary>The life cycle of a cell.</summary>
internal enum CellState
{
    Running = 0,
    Stopping = 1,
    Stopped = 2,
}
