# A bash script on Veil (Debian's bash-static) and on the host, output
# compared byte for byte (tests/runner/user_scripts.py): functions,
# arrays, associative arrays, arithmetic, string operations, pipelines to
# busybox applets, command substitution, redirections in $1 (/tmp on
# Veil, a fresh directory on the host).
work=$1
busybox=/bin/busybox

greet() {
	local who=$1
	printf 'hello %s (%d letters)\n' "$who" "${#who}"
}

fib() {
	local a=0 b=1 i
	for ((i = 0; i < $1; i++)); do
		((b = a + b, a = b - a))
	done
	echo "$a"
}

greet world
echo "fib(40) = $(fib 40)"

fruits=()
while read -r line; do fruits+=("$line"); done < fruit
echo "${#fruits[@]} fruits, first ${fruits[0]}, last ${fruits[-1]}"
declare -A count
for f in "${fruits[@]}"; do count[$f]=$((${count[$f]:-0} + 1)); done
for f in $(printf '%s\n' "${!count[@]}" | $busybox sort); do
	echo "$f ${count[$f]}"
done

text="The quick brown fox"
echo "${text^^} ${text,,} ${text/quick/slow} ${text:4:5} ${text##* }"
[[ $text == *brown* ]] && echo "matched brown"
[[ $text =~ ([a-z]+)\ fox ]] && echo "regex: ${BASH_REMATCH[1]}"

case ${fruits[2]} in
fig) echo "third is fig" ;;
*) echo "third is not fig" ;;
esac

printf '%s\n' "${fruits[@]}" | $busybox sort -u | $busybox wc -l
$busybox sort fruit > "$work/sorted"
{ echo first; $busybox cat "$work/sorted"; } > "$work/both"
$busybox md5sum < "$work/both"
sum=0
for i in {1..100}; do ((sum += i * i)); done
echo "sum of squares $sum"
words=$($busybox tr ' ' '\n' <<< "$text" | $busybox wc -l)
echo "words $words"
( exit 7 ); echo "subshell status $?"
trap 'echo "exit trap ran"' EXIT
echo "done"
