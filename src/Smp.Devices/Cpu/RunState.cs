namespace Smp.Devices.Cpu;

/// <summary>The activity state of a logical processor.</summary>
public enum RunState
{
    /// <summary>Executing instructions.</summary>
    Running,

    /// <summary>Stopped by HLT until an unmasked interrupt, NMI, INIT or SMI arrives.</summary>
    Halted,

    /// <summary>After INIT on an application processor: waiting for a start-up IPI (SDM Vol. 3A §8.4.2).</summary>
    WaitForSipi,

    /// <summary>Shutdown after a triple fault (SDM Vol. 3A §6.15, interrupt 8): only NMI, SMI, INIT or RESET leave it.</summary>
    Shutdown,
}
