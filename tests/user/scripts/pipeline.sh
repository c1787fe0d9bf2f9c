# busybox sh on Veil and on the host, output compared byte for byte
# (tests/runner/user_scripts.py): pipelines, subshells, exit statuses,
# files made, moved and removed in a writable directory, gzip round
# trips, find. $1 is that directory (/tmp on Veil, a fresh one on the
# host); fruit and piece are in the working directory.
work=$1
echo "== pipelines"
sort fruit | uniq -c | sort -rn
cat fruit | grep a | wc -l
sed 's/a/A/g' fruit | sort | head -3 | tr 'a-z' 'A-Z'
echo "== statuses"
(exit 3); echo "subshell gave $?"
false || echo "false gave $?"
true && echo "true gave $?"
if grep -q kiwi fruit; then echo "kiwi found"; fi
sort fruit | grep -q nothing-here; echo "pipeline gave $?"
echo "== loops"
n=0
for word in $(cat fruit); do n=$((n + ${#word})); done
echo "letters $n"
while read line; do echo "<$line>"; done < fruit
echo "== files"
cp fruit "$work/a"
mv "$work/a" "$work/b"
md5sum < "$work/b"
mkdir "$work/d"
cp piece "$work/d/p"
ls "$work/d"
cmp piece "$work/d/p" && echo "copy same"
rm "$work/d/p"
rmdir "$work/d"
echo appended >> "$work/b"
tail -2 "$work/b"
ls "$work"
echo "== gzip"
gzip -c piece | gunzip -c | md5sum
md5sum < piece
gzip -c piece > "$work/piece.gz"
gunzip -c "$work/piece.gz" | cmp - piece && echo "round trip same"
echo "== find"
mkdir -p "$work/tree/a/b" "$work/tree/c"
echo x > "$work/tree/a/b/one"
echo y > "$work/tree/c/two"
(cd "$work/tree" && find . | sort)
find "$work/tree" -type f -name 't*' | sed "s|$work||"
rm -r "$work/tree"
echo "== awk and sed"
awk '{ print length($0), $0 }' fruit | sort -n | tail -2
sed -n '2,3p' fruit
cat <<END
here $((6 * 7))
END
echo "== done"
