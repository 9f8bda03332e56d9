local R = {}
function R.select(gen, cands)
  return {
end
return R
