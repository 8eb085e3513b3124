"""Escape from a potential well under Gaussian and under α-stable (Lévy-flight) noise.

The toy behind chapter 7: a particle in a 1-D double well, pushed by noise, leaves the left well. With
Gaussian noise the mean exit time grows *exponentially with the barrier height* (Kramers 1940); with
symmetric α-stable noise it grows as a *power of the well's width* and hardly depends on the barrier
(Imkeller & Pavlyukevich 2006, arXiv math/0409246). Şimşekli, Sagun & Gürbüzbalaban 2019 (arXiv
1901.06053) model SGD's gradient noise as α-stable, which carries this contrast over to grokking.

One module a job: ``laws`` (the well and the predicted exit times), ``simulation`` (noise, paths, exit
times) and ``waiting`` (statistics of waiting times). Every name is importable from here.
"""
from __future__ import annotations

from grokbook.escape.laws import (check_alpha, double_well, double_well_force, gaussian_exit_time, kramers_time,
                                  levy_constant, levy_exit_time, sgd_escape_exponents)
from grokbook.escape.simulation import (NOISES, exit_time_sweep, simulate_exit_times, simulate_paths, simulate_toy,
                                        stable_noise)
from grokbook.escape.waiting import (coefficient_of_variation, compare_scaling_laws, group_cvs, mean_exit_time,
                                     pool_groups)

__all__ = ["NOISES", "check_alpha", "coefficient_of_variation", "compare_scaling_laws", "double_well",
           "double_well_force", "exit_time_sweep", "gaussian_exit_time", "group_cvs", "kramers_time",
           "levy_constant", "levy_exit_time", "mean_exit_time", "pool_groups", "sgd_escape_exponents",
           "simulate_exit_times", "simulate_paths", "simulate_toy", "stable_noise"]
