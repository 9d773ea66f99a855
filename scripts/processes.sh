# processes.sh: sourced by the scripts that start or stop dvcid's processes. Sets
# PROCESSES, the names in the tree's `processes` file in start order (each one's
# downstream peer first), and PROCESSES_STOP, the same in stop order (the reverse).
_dvcid_list=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/processes
mapfile -t PROCESSES < <(grep -E '^[a-z]' "$_dvcid_list")
if ((${#PROCESSES[@]} == 0)); then
    echo "$_dvcid_list: no process names" >&2
    exit 1
fi
PROCESSES_STOP=()
for ((_dvcid_i = ${#PROCESSES[@]} - 1; _dvcid_i >= 0; _dvcid_i--)); do
    PROCESSES_STOP+=("${PROCESSES[_dvcid_i]}")
done
unset _dvcid_list _dvcid_i
